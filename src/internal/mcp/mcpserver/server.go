package mcpserver

import (
	"strconv"
	"sync"
	"sync/atomic"

	"code.cloudfoundry.org/lager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

var _ discoveryv3.AggregatedDiscoveryServiceServer = (*Server)(nil)

// Transport labels in logs and metrics.
const (
	transportSotW  = "sotw"
	transportDelta = "delta"
)

// Server serves the last published mesh.Config over MCP-over-xDS, State of
// the World and Delta, to any number of streams.
type Server struct {
	logger  lager.Logger
	metrics *metrics
	// maxResponseBytes caps one response (WithGRPCConfig).
	maxResponseBytes int

	// publishMu serialises Publish so snapshots are built in call order.
	publishMu sync.Mutex

	mu      sync.Mutex
	current *snapshot // nil until the first successful Publish
	streams map[chan struct{}]struct{}

	nonces atomic.Uint64

	// shutdown is closed by Shutdown; streams end when it is.
	shutdown     chan struct{}
	shutdownOnce sync.Once
}

// New returns a Server that answers nothing until its first Publish. Its
// metrics are registered with reg unless reg is nil.
func New(logger lager.Logger, reg prometheus.Registerer, opts ...Option) *Server {
	s := &Server{
		logger:           logger.Session("mcp-server"),
		metrics:          newMetrics(reg),
		maxResponseBytes: DefaultMaxSendMessageBytes,
		streams:          map[chan struct{}]struct{}{},
		shutdown:         make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Shutdown ends every open stream with codes.Unavailable, so pilots move to
// a peer copilot at once, and refuses new ones. Call it before stopping the
// gRPC server: a graceful stop waits for streams, and MCP streams do not end
// on their own.
func (s *Server) Shutdown() {
	s.shutdownOnce.Do(func() {
		s.logger.Info("shutting-down")
		close(s.shutdown)
	})
}

// errShuttingDown is what streams end with when the copilot stops.
var errShuttingDown = status.Error(codes.Unavailable, "cf-mesh copilot is shutting down; reconnect to a peer")

// Register adds the Aggregated Discovery Service to g. Transport security,
// size limits and keepalives are g's: build it with mTLS credentials and
// GRPCServerOptions. One Server may be registered with several gRPC servers
// (e.g. an mTLS listener for pilots and a loopback one for istiod).
func (s *Server) Register(g *grpc.Server) {
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(g, s)
}

// Publish makes cfg the configuration every stream is served. Collections
// whose version did not change keep their previous encoding and are not
// re-sent; within a changed collection only changed objects are encoded.
// If an object cannot be encoded the whole Config is rejected and logged,
// and the previous one stays in service.
func (s *Server) Publish(cfg mesh.Config) {
	s.publishMu.Lock()
	defer s.publishMu.Unlock()

	previous := s.snapshot()
	next, stats, err := buildSnapshot(cfg, previous)
	if err != nil {
		s.logger.Error("publish-rejected", err)
		return
	}

	s.mu.Lock()
	s.current = next
	for wake := range s.streams {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	streams := len(s.streams)
	s.mu.Unlock()

	s.logger.Info("published", lager.Data{
		"objects": cfg.Len(), "changed-collections": stats.changedKinds, "encoded-objects": stats.encoded,
		"reused-objects": stats.reused, "first": previous == nil, "streams": streams, "build": next.marker.version,
	})
}

func (s *Server) snapshot() *snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

func (s *Server) nextNonce() string {
	return strconv.FormatUint(s.nonces.Add(1), 10)
}

// track registers a stream's wake-up channel for the stream's lifetime;
// call the returned function when the stream ends.
func (s *Server) track(wake chan struct{}, transport string) func() {
	s.mu.Lock()
	s.streams[wake] = struct{}{}
	s.mu.Unlock()
	s.metrics.connected.Inc()
	s.metrics.opened.WithLabelValues(transport).Inc()
	return func() {
		s.mu.Lock()
		delete(s.streams, wake)
		s.mu.Unlock()
		s.metrics.connected.Dec()
	}
}

// StreamAggregatedResources serves one State-of-the-World ADS stream until
// the client goes away or the server stops.
func (s *Server) StreamAggregatedResources(gs grpc.BidiStreamingServer[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]) error {
	st := newSotwStream(s, gs)
	defer s.track(st.wakeCh, transportSotW)()
	return serve(gs.Context(), &st.streamBase, gs.Recv, st.handle, st.push)
}

// DeltaAggregatedResources serves one incremental (Delta) ADS stream until
// the client goes away or the server stops.
func (s *Server) DeltaAggregatedResources(gs grpc.BidiStreamingServer[discoveryv3.DeltaDiscoveryRequest, discoveryv3.DeltaDiscoveryResponse]) error {
	st := newDeltaStream(s, gs)
	defer s.track(st.wakeCh, transportDelta)()
	return serve(gs.Context(), &st.streamBase, gs.Recv, st.handle, st.push)
}
