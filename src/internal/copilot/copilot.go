package copilot

import (
	"context"
	"net"
	"sync"
	"sync/atomic"

	"code.cloudfoundry.org/lager/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"code.cloudfoundry.org/cf-mesh/internal/debounce"
	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver"
	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller/ccpoller"
	"code.cloudfoundry.org/cf-mesh/internal/source/networkpolicy/policypoller"
	"code.cloudfoundry.org/cf-mesh/internal/source/routefile/filewatcher"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
	"code.cloudfoundry.org/cf-mesh/internal/statusserver"
	"code.cloudfoundry.org/cf-mesh/internal/tlsconfig"
)

// Copilot is a configured copilot process.
type Copilot struct {
	cfg       Config
	logger    lager.Logger
	registry  *prometheus.Registry
	mcp       *mcpserver.Server
	nats      *natssubscriber.Subscriber
	routes    lifecycle.Component
	network   *lifecycle.Component
	policies  *policyState
	debouncer *debounce.Debouncer
	builder   *builder
	// endpointsFirst paces the endpoints-first goroutine (ADR 20).
	endpointsFirst *endpointsFirst
	// sourcesChanged is set when a source other than NATS changed since
	// the last full build started: no endpoints-first update stands for it.
	sourcesChanged atomic.Bool

	mu           sync.Mutex
	desired      *source.DesiredRoutes
	routesSynced chan struct{}
	published    chan struct{}
}

// New builds a copilot from a validated configuration.
func New(cfg Config, logger lager.Logger, registry *prometheus.Registry) (*Copilot, error) {
	c := &Copilot{
		cfg:            cfg,
		logger:         logger,
		registry:       registry,
		mcp:            mcpserver.New(logger, registry, mcpserver.WithGRPCConfig(cfg.MCP.GRPC)),
		debouncer:      debounce.NewLeading(cfg.Debounce.Std(), 10*cfg.Debounce.Std()),
		endpointsFirst: newEndpointsFirst(),
		routesSynced:   make(chan struct{}),
		published:      make(chan struct{}),
	}
	options, err := cfg.Mesh.compileOptions()
	if err != nil {
		return nil, err
	}
	c.policies = newPolicyState(cfg.NetworkPolicies != nil)
	c.builder = newBuilder(options, c.policies, c.mcp, logger, registry)
	c.nats, err = natssubscriber.New(cfg.NATS, logger, registry, c.onNATSChange)
	if err != nil {
		return nil, err
	}
	c.routes, err = c.routeSource(logger, registry)
	if err != nil {
		return nil, err
	}
	if cfg.NetworkPolicies != nil {
		poller, err := policypoller.New(*cfg.NetworkPolicies, logger, registry, c.onNetworkPolicies)
		if err != nil {
			return nil, err
		}
		c.network = &lifecycle.Component{Name: "network-policies", Run: poller.Run}
	}
	return c, nil
}

func (c *Copilot) routeSource(logger lager.Logger, registry prometheus.Registerer) (lifecycle.Component, error) {
	if c.cfg.CloudController != nil {
		poller, err := ccpoller.New(*c.cfg.CloudController, logger, registry, c.onDesiredRoutes)
		if err != nil {
			return lifecycle.Component{}, err
		}
		return lifecycle.Component{Name: "cloud-controller", Run: poller.Run}, nil
	}
	watcher := filewatcher.New(c.cfg.RoutesFile.Path, c.cfg.RoutesFile.PollInterval.Std(), logger, c.onDesiredRoutes)
	return lifecycle.Component{Name: "routes-file", Run: watcher.Run}, nil
}

// Run serves until ctx ends or a component fails.
func (c *Copilot) Run(ctx context.Context) error {
	lis, err := net.Listen("tcp", c.cfg.MCP.ListenAddress)
	if err != nil {
		return err
	}
	server, err := c.grpcServer()
	if err != nil {
		return err
	}
	status, err := statusserver.Open(c.cfg.StatusAddress, c.cfg.MetricsAddress, c.registry, c.isReady, c.logger, c.debugHandlers())
	if err != nil {
		return err
	}
	c.logger.Info("starting", lager.Data{"mcp": lis.Addr().String()})
	components := []lifecycle.Component{
		{Name: "mcp-server", Run: func(ctx context.Context) error {
			return lifecycle.ServeGRPC(ctx, c.logger, server, lis, c.mcp.Shutdown)
		}},
		{Name: "nats", Run: c.nats.Run},
		c.routes,
		{Name: "builder", Run: c.runBuilder},
		{Name: "endpoints-first", Run: c.runEndpointsFirst},
		{Name: "status-server", Run: status.Run},
	}
	if c.network != nil {
		// Routes do not wait for policies: until the policy server has
		// answered, every app admits no mesh caller (fail closed).
		components = append(components, *c.network)
	}
	return lifecycle.Run(ctx, c.logger, components...)
}

// Published is closed once the copilot has served its first mesh config.
func (c *Copilot) Published() <-chan struct{} { return c.published }

func (c *Copilot) isReady() bool {
	select {
	case <-c.published:
		return true
	default:
		return false
	}
}

// onNetworkPolicies is the policy server's callback.
func (c *Copilot) onNetworkPolicies(policies source.NetworkPolicies, current bool) {
	c.policies.update(policies, current)
	c.sourcesChanged.Store(true)
	c.debouncer.Notify()
}

// onNATSChange is the NATS subscriber's callback.
func (c *Copilot) onNATSChange() {
	c.debouncer.Notify()
	c.endpointsFirst.notify()
}

// onDesiredRoutes is the route source's callback.
func (c *Copilot) onDesiredRoutes(routes source.DesiredRoutes) {
	c.mu.Lock()
	first := c.desired == nil
	c.desired = &routes
	c.mu.Unlock()
	c.sourcesChanged.Store(true)
	// Notify before announcing the first sync: runBuilder clears what was
	// announced before its first build, which reads these routes, so a
	// Notify after it would cause a second, empty build.
	c.debouncer.Notify()
	if first {
		close(c.routesSynced)
	}
}

// runBuilder waits until both sources have synced, builds once, then
// rebuilds after every burst of changes.
func (c *Copilot) runBuilder(ctx context.Context) error {
	for _, wait := range []struct {
		ready <-chan struct{}
		what  string
	}{{c.routesSynced, "route source"}, {c.nats.Ready(), "NATS registrations"}} {
		c.logger.Info("waiting-for-source", lager.Data{"source": wait.what})
		select {
		case <-ctx.Done():
			return nil
		case <-wait.ready:
		}
	}
	c.debouncer.Clear() // what the sources announced so far goes into this build
	c.sourcesChanged.Store(false)
	c.builder.build(c.desiredRoutes(), c.nats.RoutingEndpoints())
	close(c.published)
	c.debouncer.Run(ctx, func() { c.build(ctx) })
	return nil
}

// build is a full build. It lets the endpoints-first goroutine publish the
// NATS changes notified before it first, and is left out when those
// publishes stand for it (adopt.go).
func (c *Copilot) build(ctx context.Context) {
	taken := c.endpointsFirst.await(ctx)
	if taken && !c.sourcesChanged.Swap(false) && c.builder.adoptEndpointsFirst() {
		return
	}
	c.builder.build(c.desiredRoutes(), c.nats.RoutingEndpoints()) // routing reads no tags
}

// runEndpointsFirst publishes the hosts of NATS changes ahead of the full
// build, once the first full build is out (ADR 20).
func (c *Copilot) runEndpointsFirst(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-c.published:
	}
	c.endpointsFirst.run(ctx, func() bool {
		return c.builder.publishEndpointsFirst(c.desiredRoutes(), c.nats.RoutingEndpointsChanged(maxEndpointsFirstHosts))
	})
	return nil
}

func (c *Copilot) desiredRoutes() source.DesiredRoutes {
	c.mu.Lock()
	defer c.mu.Unlock()
	return *c.desired
}

func (c *Copilot) grpcServer() (*grpc.Server, error) {
	opts := mcpserver.GRPCServerOptions(c.cfg.MCP.GRPC)
	if c.cfg.MCP.TLS.Enabled() {
		tc, err := tlsconfig.Server(c.cfg.MCP.TLS)
		if err != nil {
			return nil, err
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(tc)))
	}
	server := grpc.NewServer(opts...)
	c.mcp.Register(server)
	return server, nil
}
