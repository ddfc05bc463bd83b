package localfoundation

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/gatewaybootstrap"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// foundation is one running local foundation.
type foundation struct {
	opts       Options
	routes     source.DesiredRoutes
	routesPath string
	natsURL    string
	out        io.Writer
	ports      ports
	instances  []*instance
	children   []*child
	stopEmit   context.CancelFunc
	// gatewayRunning is true when an Envoy gateway was started.
	gatewayRunning bool
}

// instance is one sample app instance.
type instance struct {
	app     string // app GUID
	process string // process GUID
	index   int
	backend *backend.Backend
}

func (f *foundation) start(ctx context.Context) error {
	var err error
	if f.ports, err = allocatePorts(); err != nil {
		return err
	}
	if err := f.startInstances(); err != nil {
		return err
	}
	copilotConfig, pilotConfig, err := f.writeConfigs()
	if err != nil {
		return err
	}
	fmt.Fprintf(f.out, "work directory: %s\nroute file:     %s (edit it while this runs)\nNATS:           %s\n", f.opts.WorkDir, f.routesPath, f.natsURL)
	if err := f.startEmitter(ctx); err != nil {
		return err
	}
	if err := f.startAndWait(ctx, "copilot", copilotConfig, f.ports.copilotStatus); err != nil {
		return err
	}
	if err := f.startAndWait(ctx, "pilot", pilotConfig, f.ports.pilotStatus); err != nil {
		return err
	}
	fmt.Fprintf(f.out, "copilot MCP:    %s (mutual TLS)\npilot xDS:      %s\n", f.ports.mcp, f.ports.xds)
	return f.startGateway()
}

// startInstances starts Instances backends for every distinct destination.
func (f *foundation) startInstances() error {
	seen := map[string]bool{}
	for _, r := range f.routes.Routes {
		for _, d := range r.Destinations {
			if seen[d.AppGUID+d.ProcessGUID] {
				continue
			}
			seen[d.AppGUID+d.ProcessGUID] = true
			for i := range max(f.opts.Instances, 1) {
				b, err := backend.Start(fmt.Sprintf("%s/%d", shortGUID(d.AppGUID), i), "127.0.0.1:0")
				if err != nil {
					return err
				}
				f.instances = append(f.instances, &instance{app: d.AppGUID, process: d.ProcessGUID, index: i, backend: b})
			}
		}
	}
	return nil
}

func (f *foundation) startAndWait(ctx context.Context, name, config, status string) error {
	c, err := startChild(f.opts.WorkDir, name, filepath.Join(f.opts.BinDir, name), "-config", config)
	if err != nil {
		return err
	}
	f.children = append(f.children, c)
	return waitReady(ctx, c, status, 60*time.Second)
}

// startGateway writes an ingress gateway's Envoy bootstrap and runs Envoy
// when one is on PATH.
func (f *foundation) startGateway() error {
	b, err := gatewaybootstrap.Build(gatewaybootstrap.Options{
		NodeIP: "127.0.0.1", NodeID: "local-gateway", Pilots: []string{f.ports.xds}, AdminAddress: f.ports.gatewayAdmin,
		HealthCheckAddress: f.ports.gatewayHealth,
	})
	if err != nil {
		return err
	}
	js, err := gatewaybootstrap.JSON(b)
	if err != nil {
		return err
	}
	path := filepath.Join(f.opts.WorkDir, "envoy-gateway.json")
	if err := os.WriteFile(path, js, 0o644); err != nil {
		return err
	}
	envoy, err := exec.LookPath("envoy")
	if err != nil {
		fmt.Fprintf(f.out, "gateway:        skipped: no envoy binary on PATH; bootstrap written to %s\n", path)
		return nil
	}
	c, err := startChild(f.opts.WorkDir, "envoy", envoy, "-c", path, "--log-level", "warning")
	if err != nil {
		return err
	}
	f.children = append(f.children, c)
	f.gatewayRunning = true
	fmt.Fprintf(f.out, "gateway:        envoy on http://%s (try: curl -H 'Host: %s' http://%s/), health on http://%s%s\n",
		f.ports.gateway, f.routes.Routes[0].Host, f.ports.gateway, f.ports.gatewayHealth, gatewaybootstrap.HealthCheckPath)
	return nil
}

// stop stops everything in reverse order of starting.
func (f *foundation) stop() {
	for i := len(f.children) - 1; i >= 0; i-- {
		f.children[i].stop()
	}
	if f.stopEmit != nil {
		f.stopEmit()
	}
	for _, in := range f.instances {
		_ = in.backend.Stop()
	}
}

func shortGUID(guid string) string {
	if len(guid) > 8 {
		return guid[:8]
	}
	return guid
}
