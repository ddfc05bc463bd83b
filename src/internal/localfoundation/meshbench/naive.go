package meshbench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"

	"code.cloudfoundry.org/lager/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/debounce"
	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpclient"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/statusserver"
	"code.cloudfoundry.org/cf-mesh/internal/tlsconfig"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// NaiveConfig configures the naive control plane.
type NaiveConfig struct {
	Copilot       mcpclient.Config `json:"copilot"`
	CopilotTLS    tlsconfig.Files  `json:"copilot_tls"`
	ListenAddress string           `json:"listen_address"`
	lifecycle.ProcessConfig
}

// WithDefaults fills the MCP client's and the process's defaults.
func (c NaiveConfig) WithDefaults() NaiveConfig {
	c.Copilot = c.Copilot.WithDefaults()
	c.ProcessConfig = c.ProcessConfig.WithDefaults("127.0.0.1:15114")
	return c
}

// Validate reports every problem.
func (c NaiveConfig) Validate() error {
	var errs []error
	if err := c.Copilot.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("copilot: %w", err))
	}
	if err := tlsconfig.CheckLoopback(c.ListenAddress); err != nil {
		errs = append(errs, fmt.Errorf("listen_address: %w", err))
	}
	return errors.Join(append(errs, c.ProcessConfig.Validate())...)
}

// Naive is the naive control plane the benchmark compares with: it takes
// every mesh config whole (State-of-the-World MCP), translates it with the
// pilot's pure stages, and gives every connected proxy a new full snapshot
// in a go-control-plane SnapshotCache, so every change pushes everything to
// everyone. It admits every proxy (no address checks).
type Naive struct {
	cfg       NaiveConfig
	logger    lager.Logger
	registry  *prometheus.Registry
	mcp       *mcpclient.Client
	cache     cachev3.SnapshotCache
	debouncer *debounce.Debouncer

	mu      sync.Mutex
	latest  *mesh.Config
	nodes   map[string]*corev3.Node
	res     *xdsresources.Resources
	version int
	ready   chan struct{}
}

// NewNaive builds the naive control plane.
func NewNaive(cfg NaiveConfig, logger lager.Logger, registry *prometheus.Registry) (*Naive, error) {
	n := &Naive{
		cfg: cfg, logger: logger.Session("naive"), registry: registry,
		cache:     cachev3.NewSnapshotCache(false, cachev3.IDHash{}, nil),
		debouncer: debounce.New(cfg.Debounce.Std(), 10*cfg.Debounce.Std()),
		nodes:     map[string]*corev3.Node{}, ready: make(chan struct{}),
	}
	c, err := tlsconfig.Client(cfg.CopilotTLS)
	if err != nil {
		return nil, err
	}
	creds := grpc.WithTransportCredentials(credentials.NewTLS(c))
	if n.mcp, err = mcpclient.New(cfg.Copilot, creds, logger, registry, n.onMeshConfig); err != nil {
		return nil, err
	}
	return n, nil
}

// Run serves until ctx ends.
func (n *Naive) Run(ctx context.Context) error {
	lis, err := net.Listen("tcp", n.cfg.ListenAddress)
	if err != nil {
		return err
	}
	status, err := statusserver.Open(n.cfg.StatusAddress, "", n.registry, n.isReady, n.logger, nil)
	if err != nil {
		return err
	}
	g := grpc.NewServer(grpc.MaxConcurrentStreams(1 << 20))
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(g, serverv3.NewServer(ctx, n.cache, n.callbacks()))
	return lifecycle.Run(ctx, n.logger,
		lifecycle.Component{Name: "xds", Run: func(ctx context.Context) error { return lifecycle.ServeGRPC(ctx, n.logger, g, lis, nil) }},
		lifecycle.Component{Name: "mcp-client", Run: n.mcp.Run},
		lifecycle.Component{Name: "translator", Run: func(ctx context.Context) error { n.debouncer.Run(ctx, n.translate); return nil }},
		lifecycle.Component{Name: "status-server", Run: status.Run},
	)
}

func (n *Naive) isReady() bool {
	select {
	case <-n.ready:
		return true
	default:
		return false
	}
}

func (n *Naive) onMeshConfig(cfg mesh.Config) {
	n.mu.Lock()
	n.latest = &cfg
	n.mu.Unlock()
	n.debouncer.Notify()
}

func (n *Naive) callbacks() serverv3.Callbacks {
	return serverv3.CallbackFuncs{
		StreamRequestFunc: func(_ int64, r *discoveryv3.DiscoveryRequest) error { n.join(r.GetNode()); return nil },
		StreamDeltaRequestFunc: func(_ int64, r *discoveryv3.DeltaDiscoveryRequest) error {
			n.join(r.GetNode())
			return nil
		},
	}
}

// join gives a proxy seen for the first time the current snapshot.
func (n *Naive) join(node *corev3.Node) {
	if node == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.nodes[node.GetId()]; ok {
		return
	}
	n.nodes[node.GetId()] = node
	if n.res != nil {
		n.setSnapshots(map[string]*corev3.Node{node.GetId(): node}, newClassSnapshots(*n.res, n.version))
	}
}

// translate rebuilds everything and replaces every proxy's snapshot.
func (n *Naive) translate() {
	n.mu.Lock()
	cfg := n.latest
	n.mu.Unlock()
	if cfg == nil {
		return
	}
	ir, _ := envoyir.Translate(*cfg)
	res, _ := xdsresources.Translate(ir, xdsresources.Options{}.WithDefaults())
	n.mu.Lock()
	defer n.mu.Unlock()
	n.res = &res
	n.version++
	n.setSnapshots(n.nodes, newClassSnapshots(res, n.version))
	if !n.isReady() {
		close(n.ready)
	}
}

// classSnapshots are the snapshots every gateway and every proxyless
// client share, and what a sidecar's own snapshot adds to.
type classSnapshots struct {
	version          string
	res              xdsresources.Resources
	gateway, mesh    *cachev3.Snapshot
	sidecarClusters  []types.Resource
	sidecarEndpoints []types.Resource
}

func newClassSnapshots(res xdsresources.Resources, version int) classSnapshots {
	v := strconv.Itoa(version)
	gateway, _ := cachev3.NewSnapshot(v, map[resourcev3.Type][]types.Resource{
		resourcev3.ListenerType: values(res.GatewayListeners), resourcev3.RouteType: values(res.Routes),
		resourcev3.ClusterType: values(res.GatewayClusters), resourcev3.EndpointType: values(res.GatewayEndpoints),
	})
	mesh, _ := cachev3.NewSnapshot(v, map[resourcev3.Type][]types.Resource{
		resourcev3.ListenerType: values(res.MeshListeners), resourcev3.RouteType: values(res.Routes),
		resourcev3.ClusterType: values(res.MeshClusters), resourcev3.EndpointType: values(res.MeshEndpoints),
	})
	return classSnapshots{version: v, res: res, gateway: gateway, mesh: mesh,
		sidecarClusters: values(res.SidecarClusters), sidecarEndpoints: values(res.SidecarEndpoints)}
}

func (n *Naive) setSnapshots(nodes map[string]*corev3.Node, s classSnapshots) {
	for id, node := range nodes {
		snap := s.forNode(node)
		if err := n.cache.SetSnapshot(context.Background(), id, snap); err != nil {
			n.logger.Error("set-snapshot-failed", err, lager.Data{"node": id})
		}
	}
}

func (s classSnapshots) forNode(node *corev3.Node) *cachev3.Snapshot {
	class, err := xdsresources.ClassOf(node)
	switch {
	case err != nil || class == xdsresources.ClassGateway:
		return s.gateway
	case class == xdsresources.ClassMesh:
		return s.mesh
	}
	parsed, _ := xdsresources.ParseNodeID(node.GetId())
	own, _ := s.res.Sidecar(parsed)
	snap, _ := cachev3.NewSnapshot(s.version, map[resourcev3.Type][]types.Resource{
		resourcev3.ListenerType: values(own.Listeners), resourcev3.RouteType: values(own.Routes),
		resourcev3.ClusterType: s.sidecarClusters, resourcev3.EndpointType: s.sidecarEndpoints,
	})
	return snap
}

func values[T proto.Message](m map[string]T) []types.Resource {
	out := make([]types.Resource, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	return out
}
