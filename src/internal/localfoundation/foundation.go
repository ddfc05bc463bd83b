package localfoundation

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/routefile"
)

//go:embed sample-routes.yaml
var sampleRoutes []byte

// Options configure a local foundation.
type Options struct {
	// WorkDir receives configs, certificates, logs and the route file.
	WorkDir string
	// BinDir holds the copilot and pilot binaries.
	BinDir string
	// RoutesFile is a route file to use instead of the sample.
	RoutesFile string
	// Instances is how many instances each destination app runs.
	Instances int
	// Check makes Run return once every route's observed split matches its
	// weights, instead of running until cancelled.
	Check bool
	// CheckTimeout bounds a check run.
	CheckTimeout time.Duration
	// Out receives the human-readable progress and split display.
	Out io.Writer
}

// Run starts the foundation and blocks until ctx ends (or, with Check,
// until the split has been verified).
func Run(ctx context.Context, o Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	routesPath, routes, err := prepareRoutes(o)
	if err != nil {
		return err
	}
	nats, err := startNATS()
	if err != nil {
		return err
	}
	defer nats.Shutdown()
	f := &foundation{opts: o, routes: routes, routesPath: routesPath, natsURL: nats.ClientURL(), out: o.Out}
	defer f.stop()
	if err := f.start(ctx); err != nil {
		return err
	}
	if o.Check {
		return f.check(ctx, o.CheckTimeout)
	}
	return f.display(ctx)
}

// prepareRoutes writes the sample route file into the work directory unless
// the caller brought one, and parses it to know which apps to start.
func prepareRoutes(o Options) (string, source.DesiredRoutes, error) {
	path := o.RoutesFile
	if path == "" {
		path = filepath.Join(o.WorkDir, "routes.yaml")
		if err := os.WriteFile(path, sampleRoutes, 0o644); err != nil {
			return "", source.DesiredRoutes{}, err
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", source.DesiredRoutes{}, err
	}
	routes, err := routefile.Parse(data)
	if err != nil {
		return "", source.DesiredRoutes{}, fmt.Errorf("route file %s: %w", path, err)
	}
	if len(routes.Routes) == 0 {
		return "", source.DesiredRoutes{}, errors.New("the route file has no routes")
	}
	return path, routes, nil
}

func startNATS() (*server.Server, error) {
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, errors.New("embedded NATS did not start within 10s")
	}
	return s, nil
}
