package pilot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

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
	// generation counts the configs the MCP client delivered; latest is
	// the last. endpointsDue wakes the endpoints-first loop (ADR 20), and
	// endpointsSent is the generation it last handled, signalled on
	// endpointsDone.
	generation    uint64
	endpointsDue  chan struct{}
	endpointsSent uint64
	endpointsDone *sync.Cond
	// endpointsOnly is whether generation endpointsSent changed only
	// endpoints since the last full translation, all of them sent.
	endpointsOnly bool
}

// New builds a pilot from a validated configuration.
func New(cfg Config, logger lager.Logger, registry *prometheus.Registry) (*Pilot, error) {
	p := &Pilot{
		cfg:       cfg,
		logger:    logger,
		registry:  registry,
		xds:       xdsserver.New(logger, registry, bootID()),
		debouncer: debounce.New(cfg.Debounce.Std(), 10*cfg.Debounce.Std()),

		endpointsDue: make(chan struct{}, 1),
	}
	p.endpointsDone = sync.NewCond(&p.mu)
	options := cfg.Gateway.translationOptions()
	meshOpts, err := cfg.Mesh.meshOptions()
	if err != nil {
		return nil, err
	}
	options.Mesh = meshOpts
	p.translator = newTranslator(options.WithDefaults(), p.xds, logger, registry)
	creds, err := copilotCredentials(cfg.CopilotTLS)
	if err != nil {
		return nil, err
	}
	// The copilot's build marker says a build has fully arrived: translate
	// it without waiting for the debounce, which stays for copilots
	// without the marker (and a marker lost with its stream).
	p.mcp, err = mcpclient.New(cfg.Copilot, creds, logger, registry, p.onMeshConfig, mcpclient.WithBuildComplete(p.debouncer.Flush))
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
	components := []lifecycle.Component{
		{Name: "xds-server", Run: func(ctx context.Context) error { return p.xds.Serve(ctx, lis, serverOpts...) }},
		{Name: "mcp-client", Run: p.mcp.Run},
		{Name: "translator", Run: p.runTranslator},
		{Name: "endpoints-first", Run: p.runEndpointsFirst},
		{Name: "status-server", Run: status.Run},
	}
	if address := p.cfg.Containers.ListenAddress; address != "" {
		containers, err := net.Listen("tcp", address)
		if err != nil {
			return err
		}
		components = append(components, lifecycle.Component{Name: "xds-containers", Run: func(ctx context.Context) error {
			return p.xds.ServeContainers(ctx, containers, containerServerOptions()...)
		}})
	}
	p.logger.Info("starting", lager.Data{"xds": lis.Addr().String(), "containers": p.cfg.Containers.ListenAddress, "copilots": p.cfg.Copilot.Addresses})
	return lifecycle.Run(ctx, p.logger, components...)
}

// containerServerOptions bound what one container can hold on the plaintext
// listener: a few streams per connection, keepalives no more often than
// Envoy's, idle connections closed.
func containerServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxConcurrentStreams(xdsserver.DefaultMaxStreamsPerPeer),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: 5 * time.Minute, Time: time.Minute, Timeout: 20 * time.Second}),
	}
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
	p.generation++
	p.mu.Unlock()
	p.debouncer.Notify()
	select {
	case p.endpointsDue <- struct{}{}:
	default:
	}
}

// latestConfig is the newest config and its generation (nil before the
// first).
func (p *Pilot) latestConfig() (*mesh.Config, uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latest, p.generation
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
