package pilot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"sync"

	"code.cloudfoundry.org/lager/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"code.cloudfoundry.org/cf-mesh/internal/debounce"
	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpclient"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/statusserver"
	"code.cloudfoundry.org/cf-mesh/internal/tlsconfig"
	"code.cloudfoundry.org/cf-mesh/internal/xdsserver"
)

// Pilot is a configured pilot process.
type Pilot struct {
	cfg        Config
	logger     lager.Logger
	registry   *prometheus.Registry
	xds        *xdsserver.Server
	mcp        *mcpclient.Client
	debouncer  *debounce.Debouncer
	translator *translator

	mu     sync.Mutex
	latest *mesh.Config
}

// New builds a pilot from a validated configuration.
func New(cfg Config, logger lager.Logger, registry *prometheus.Registry) (*Pilot, error) {
	p := &Pilot{
		cfg:       cfg,
		logger:    logger,
		registry:  registry,
		xds:       xdsserver.New(logger, registry, bootID()),
		debouncer: debounce.New(cfg.Debounce.Std(), 10*cfg.Debounce.Std()),
	}
	p.translator = newTranslator(cfg, p.xds, logger, registry)
	creds, err := copilotCredentials(cfg.CopilotTLS)
	if err != nil {
		return nil, err
	}
	p.mcp, err = mcpclient.New(cfg.Copilot, creds, logger, registry, p.onMeshConfig)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Run serves until ctx ends or a component fails.
func (p *Pilot) Run(ctx context.Context) error {
	lis, err := net.Listen("tcp", p.cfg.XDS.ListenAddress)
	if err != nil {
		return err
	}
	serverOpts, err := xdsServerOptions(p.cfg.XDS.TLS)
	if err != nil {
		return err
	}
	status, err := statusserver.Open(p.cfg.StatusAddress, p.cfg.MetricsAddress, p.registry, p.ready, p.logger, p.debugHandlers())
	if err != nil {
		return err
	}
	p.logger.Info("starting", lager.Data{"xds": lis.Addr().String(), "copilots": p.cfg.Copilot.Addresses})
	return lifecycle.Run(ctx, p.logger,
		lifecycle.Component{Name: "xds-server", Run: func(ctx context.Context) error { return p.xds.Serve(ctx, lis, serverOpts...) }},
		lifecycle.Component{Name: "mcp-client", Run: p.mcp.Run},
		lifecycle.Component{Name: "translator", Run: p.runTranslator},
		lifecycle.Component{Name: "status-server", Run: status.Run},
	)
}

// XDSAddress is the configured xDS listen address.
func (p *Pilot) XDSAddress() string { return p.cfg.XDS.ListenAddress }

// Ready is closed once the pilot serves its first configuration.
func (p *Pilot) Ready() <-chan struct{} { return p.xds.Ready() }

func (p *Pilot) ready() bool {
	select {
	case <-p.xds.Ready():
		return true
	default:
		return false
	}
}

// onMeshConfig is the MCP client's callback: keep the newest config and
// let the translation loop pick it up.
func (p *Pilot) onMeshConfig(cfg mesh.Config) {
	p.mu.Lock()
	p.latest = &cfg
	p.mu.Unlock()
	p.debouncer.Notify()
}

func (p *Pilot) runTranslator(ctx context.Context) error {
	p.debouncer.Run(ctx, func() {
		p.mu.Lock()
		cfg := p.latest
		p.mu.Unlock()
		if cfg != nil {
			p.translator.translate(*cfg)
		}
	})
	return nil
}

func copilotCredentials(files tlsconfig.Files) (grpc.DialOption, error) {
	if !files.Enabled() {
		return grpc.WithTransportCredentials(insecure.NewCredentials()), nil
	}
	c, err := tlsconfig.Client(files)
	if err != nil {
		return nil, err
	}
	return grpc.WithTransportCredentials(credentials.NewTLS(c)), nil
}

func xdsServerOptions(files tlsconfig.Files) ([]grpc.ServerOption, error) {
	if !files.Enabled() {
		return nil, nil
	}
	c, err := tlsconfig.Server(files)
	if err != nil {
		return nil, err
	}
	return []grpc.ServerOption{grpc.Creds(credentials.NewTLS(c))}, nil
}

// bootID distinguishes this process's xDS versions from a previous or peer
// pilot's.
func bootID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
