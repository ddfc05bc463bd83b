package xdsserver

import (
	"context"
	"net"
	"sync"

	"code.cloudfoundry.org/lager/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	sotwv3 "github.com/envoyproxy/go-control-plane/pkg/server/sotw/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// rejectedKey is a MuxCache key no cache has: watches of proxies that
// cannot be classified fail, which ends their stream.
const rejectedKey = "rejected"

// DefaultMaxStreamsPerPeer bounds the xDS streams one container address may
// hold open on the containers listener (its Envoy needs one).
const DefaultMaxStreamsPerPeer = 4

// Server serves xDS from caches that Update keeps current.
type Server struct {
	logger  lager.Logger
	metrics *metrics
	caches  caches
	proxies *proxies
	streams *streams
	nodes   *sidecarNodes
	servers *proxylessServers
	names   *requestedNames
	// shared are the shared caches by class key (requested names).
	shared map[string]*fleetCache

	// mu serializes Updates and guards current, whose endpoint maps are
	// those of the last Update; the load assignments served now are in
	// endpoints.
	mu        sync.Mutex
	current   xdsresources.Resources
	endpoints endpointState
	ready     chan struct{}
	once      sync.Once

	adsOnce sync.Once
	ads     serverv3.Server
}

// endpointState is what the endpoint caches serve, apart from the rest
// (ADR 20). Update holds mu only while it changes the endpoint caches, so
// UpdateEndpoints does not wait for the rest of an Update.
type endpointState struct {
	mu     sync.Mutex
	served endpointMaps
	// fullGeneration is the newest config a full update served; fresher
	// holds, by endpoint cache (endpointCacheNames' order) and cluster,
	// the generation of a newer config whose endpoints-first update set
	// the served load assignment.
	fullGeneration uint64
	fresher        [3]map[string]uint64
}

// New builds a server with empty caches. versionPrefix distinguishes this
// process's resource versions from another pilot's (use a boot ID), so a
// proxy reconnecting from a peer always gets a full answer.
func New(logger lager.Logger, reg prometheus.Registerer, versionPrefix string) *Server {
	logger = logger.Session("xds-server")
	c := newCaches(versionPrefix)
	return &Server{
		logger:    logger,
		metrics:   newMetrics(reg),
		caches:    c,
		proxies:   newProxies(),
		streams:   newStreams(DefaultMaxStreamsPerPeer),
		nodes:     newSidecarNodes(versionPrefix, c.memo),
		servers:   newProxylessServers(c.meshListeners, c.routes, c.memo),
		names:     newRequestedNames(),
		shared:    c.sharedByKey(),
		ready:     make(chan struct{}),
		endpoints: endpointState{fresher: [3]map[string]uint64{{}, {}, {}}},
	}
}

// Ready is closed after the first Update.
func (s *Server) Ready() <-chan struct{} {
	return s.ready
}

// Register adds the ADS service to g for proxies connecting through a
// listener of role. Streams opened before the first Update wait for it.
// Every listener shares one ADS server, so stream IDs stay unique.
func (s *Server) Register(ctx context.Context, g *grpc.Server) {
	s.adsOnce.Do(func() {
		gated := &gate{inner: s.mux(), ready: s.ready, logger: s.logger}
		// Ordered ADS sends clusters and endpoints before the listeners and
		// routes that use them, as Envoy's ADS expects (issue #526 of
		// go-control-plane).
		s.ads = serverv3.NewServer(ctx, gated, s.callbacks(), sotwv3.WithOrderedADS())
	})
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(g, s.ads)
}

// Serve serves the control-plane listener lis (every class of proxy) until
// ctx is done, then stops gracefully so proxies reconnect to a peer (the
// ADS streams end with ctx, which the server was registered with).
// Proxies may connect at once; they receive nothing before the first Update.
func (s *Server) Serve(ctx context.Context, lis net.Listener, opts ...grpc.ServerOption) error {
	return s.serve(ctx, lis, RoleControlPlane, opts)
}

// ServeContainers serves the plaintext cell-local listener Diego's
// containers reach: container sidecars and proxyless gRPC apps only, each
// from its own container IP, a few streams per address.
func (s *Server) ServeContainers(ctx context.Context, lis net.Listener, opts ...grpc.ServerOption) error {
	return s.serve(ctx, lis, RoleContainers, opts)
}

func (s *Server) serve(ctx context.Context, lis net.Listener, role Role, opts []grpc.ServerOption) error {
	g := grpc.NewServer(append(opts, withRole(role))...)
	s.Register(ctx, g)
	s.logger.Info("serving", lager.Data{"address": lis.Addr().String(), "role": role})
	return lifecycle.ServeGRPC(ctx, s.logger, g, lis, nil)
}

func (s *Server) mux() *cachev3.MuxCache {
	return &cachev3.MuxCache{
		Classify:      func(r *cachev3.Request) string { return cacheKey(r.GetTypeUrl(), r.GetNode()) },
		ClassifyDelta: func(r *cachev3.DeltaRequest) string { return cacheKey(r.GetTypeUrl(), r.GetNode()) },
		Caches:        s.caches.byKey(s.nodes, s.servers),
	}
}

// cacheKey picks the cache for the proxy's class and the request's type.
func cacheKey(typeURL string, node *corev3.Node) string {
	class, err := xdsresources.ClassOf(node)
	if err != nil {
		return rejectedKey
	}
	return classKey(typeURL, class)
}
