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
	"google.golang.org/protobuf/types/known/anypb"

	"code.cloudfoundry.org/cf-mesh/internal/mcp"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

var _ discoveryv3.AggregatedDiscoveryServiceServer = (*Server)(nil)

// Server serves the last published mesh.Config over MCP-over-xDS.
type Server struct {
	logger  lager.Logger
	metrics *metrics

	// publishMu serialises Publish so snapshots are built in call order.
	publishMu sync.Mutex

	mu      sync.Mutex
	current *snapshot // nil until the first successful Publish
	streams map[*stream]struct{}

	nonces atomic.Uint64

	// shutdown is closed by Shutdown; streams end when it is.
	shutdown     chan struct{}
	shutdownOnce sync.Once
}

// snapshot is one published Config, encoded once and shared by all streams.
// It is immutable.
type snapshot struct {
	collections map[mesh.Kind]collection
}

type collection struct {
	version   string
	resources []*anypb.Any
}

// emptyVersion is the version of an empty collection; collections cf-mesh
// does not produce are answered with it.
var emptyVersion = mesh.Config{}.CollectionVersion(mesh.KindGateway)

// New returns a Server that answers nothing until its first Publish. Its
// metrics are registered with reg unless reg is nil.
func New(logger lager.Logger, reg prometheus.Registerer) *Server {
	return &Server{
		logger:   logger.Session("mcp-server"),
		metrics:  newMetrics(reg),
		streams:  map[*stream]struct{}{},
		shutdown: make(chan struct{}),
	}
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

// Register adds the Aggregated Discovery Service to g. Transport security is
// the caller's: build g with mTLS credentials.
func (s *Server) Register(g *grpc.Server) {
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(g, s)
}

// Publish makes cfg the configuration every stream is served. Collections
// whose version did not change keep their previous encoding and are not
// re-sent. If an object cannot be encoded the whole Config is rejected and
// logged, and the previous one stays in service.
func (s *Server) Publish(cfg mesh.Config) {
	s.publishMu.Lock()
	defer s.publishMu.Unlock()

	previous := s.snapshot()
	next, changed, err := buildSnapshot(cfg, previous)
	if err != nil {
		s.logger.Error("publish-rejected", err)
		return
	}

	s.mu.Lock()
	s.current = next
	for st := range s.streams {
		st.wake()
	}
	streams := len(s.streams)
	s.mu.Unlock()

	s.logger.Info("published", lager.Data{
		"objects": cfg.Len(), "changed-collections": changed, "first": previous == nil, "streams": streams,
	})
}

// buildSnapshot encodes every kind of cfg, reusing previous encodings of
// collections whose version is unchanged. It returns the kinds that changed.
func buildSnapshot(cfg mesh.Config, previous *snapshot) (*snapshot, []mesh.Kind, error) {
	next := &snapshot{collections: map[mesh.Kind]collection{}}
	var changed []mesh.Kind
	for _, info := range mesh.Kinds() {
		version := cfg.CollectionVersion(info.Kind)
		if previous != nil && previous.collections[info.Kind].version == version {
			next.collections[info.Kind] = previous.collections[info.Kind]
			continue
		}
		resources, err := mcp.EncodeCollection(cfg, info.Kind)
		if err != nil {
			return nil, nil, err
		}
		next.collections[info.Kind] = collection{version: version, resources: resources}
		changed = append(changed, info.Kind)
	}
	return next, changed, nil
}

func (s *Server) snapshot() *snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

func (s *Server) nextNonce() string {
	return strconv.FormatUint(s.nonces.Add(1), 10)
}

// StreamAggregatedResources serves one State-of-the-World ADS stream until
// the client goes away or the server stops.
func (s *Server) StreamAggregatedResources(gs grpc.BidiStreamingServer[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]) error {
	st := newStream(s, gs)
	s.mu.Lock()
	s.streams[st] = struct{}{}
	s.mu.Unlock()
	s.metrics.connected.Inc()
	defer func() {
		s.mu.Lock()
		delete(s.streams, st)
		s.mu.Unlock()
		s.metrics.connected.Dec()
	}()
	return st.run()
}

// DeltaAggregatedResources is not implemented: the copilot speaks
// State-of-the-World MCP only, as istiod's client does.
func (s *Server) DeltaAggregatedResources(grpc.BidiStreamingServer[discoveryv3.DeltaDiscoveryRequest, discoveryv3.DeltaDiscoveryResponse]) error {
	s.logger.Info("delta-stream-refused")
	return status.Error(codes.Unimplemented,
		"cf-mesh copilot serves MCP over State-of-the-World ADS only (StreamAggregatedResources); incremental (delta) xDS is not implemented")
}
