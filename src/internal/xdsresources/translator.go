package xdsresources

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

// Translator is Translate with a memory of its previous call: a resource
// whose part of the IR is unchanged is the very message the previous call
// returned, neither rebuilt nor revalidated (memo). Its results equal
// Translate's for the same IR.
//
// Concurrency: not safe for concurrent use; the pilot's translation loop
// owns one.
type Translator struct {
	opts Options

	gatewayListeners *memo[envoyir.GatewayListener, checked[*listenerv3.Listener]]
	gatewayOverrides *memo[*envoyir.Authorization, *gatewayOverride]
	gatewayHosts     *memo[gatewayHost, *routev3.VirtualHost]
	gatewayRoutes    *memo[gatewayRouteInput, checked[*routev3.RouteConfiguration]]
	gatewayClusters  *memo[envoyir.Cluster, checked[*clusterv3.Cluster]]
	gatewayEndpoints *memo[envoyir.LoadAssignment, checked[*endpointv3.ClusterLoadAssignment]]
	meshHosts        *memo[envoyir.VirtualHost, meshHost]
	meshClusters     *memo[meshClusterInput, checked[*clusterv3.Cluster]]
	meshEndpoints    *memo[envoyir.LoadAssignment, checked[*endpointv3.ClusterLoadAssignment]]
	sidecarClusters  *memo[envoyir.Cluster, checked[*clusterv3.Cluster]]
	sidecarEndpoints *memo[parentEndpoints, checked[*endpointv3.ClusterLoadAssignment]]
	sidecarRoutes    *memo[sidecarRoutesInput, map[uint32]checked[*routev3.RouteConfiguration]]
	sidecarListeners *memo[uint32, checked[*listenerv3.Listener]]
	// served is what the previous Translate served, for the
	// endpoints-first path (ADR 20); parents collects its part during a
	// Translate.
	served  ServedEndpoints
	parents map[string][]instanceEndpoints
	// sizes are the previous result's map sizes, to size the next one's
	// up front (growing them was a tenth of a round at 10k hosts).
	sizes resourceSizes
	// Checkpoint, when set, is called between the units of a Translate
	// (a resource looked up or built): a runner may block in it to give
	// the CPU to more urgent work (ADR 20, third amendment). It must not
	// call the Translator; it cannot change the result.
	Checkpoint func()
}

type resourceSizes struct {
	gatewayListeners, meshListeners, routes, gatewayClusters, sidecarClusters, gatewayEndpoints, sidecarEndpoints int
}

// gatewayOverride is the RBAC override every gateway virtual host carries,
// built once per authorization.
type gatewayOverride struct {
	typed map[string]*anypb.Any
	err   error
}

// gatewayHost is what one virtual host of a gateway server is built from.
type gatewayHost struct {
	host     envoyir.VirtualHost
	port     uint32
	override *gatewayOverride
}

// gatewayRouteInput is a gateway server's route configuration: its virtual
// hosts, each from the gatewayHosts memo, so an unchanged server has the
// same ones.
type gatewayRouteInput struct {
	name  string
	hosts []*routev3.VirtualHost
}

// meshHost is what a proxyless gRPC client gets for one host.
type meshHost struct {
	listeners    []checked[*listenerv3.Listener]
	listenersErr error
	routes       []checked[*routev3.RouteConfiguration]
}

// sidecarRoutesInput is what the sidecars' outbound route configurations
// are built from: the hosts in their scope that keep a virtual host of
// their own, the per-instance clusters folded into their parents' that
// those name, and the instance wildcards standing for the other folded
// per-instance hosts (ADR 19).
type sidecarRoutesInput struct {
	hosts     []envoyir.VirtualHost
	instances map[string]instanceRoute
	wildcards []instanceWildcard
}

type meshClusterInput struct {
	cluster envoyir.Cluster
	mtls    bool
}

// NewTranslator returns a Translator with nothing remembered.
func NewTranslator(opts Options) *Translator {
	deep := func(a, b envoyir.VirtualHost) bool { return reflect.DeepEqual(a, b) }
	t := &Translator{
		opts:             opts.WithDefaults(),
		gatewayListeners: newMemo[envoyir.GatewayListener, checked[*listenerv3.Listener]](func(a, b envoyir.GatewayListener) bool { return reflect.DeepEqual(a, b) }),
		gatewayOverrides: newMemo[*envoyir.Authorization, *gatewayOverride](func(a, b *envoyir.Authorization) bool { return reflect.DeepEqual(a, b) }),
		gatewayHosts: newMemo[gatewayHost, *routev3.VirtualHost](func(a, b gatewayHost) bool {
			return a.port == b.port && a.override == b.override && deep(a.host, b.host)
		}),
		gatewayRoutes: newMemo[gatewayRouteInput, checked[*routev3.RouteConfiguration]](func(a, b gatewayRouteInput) bool {
			return a.name == b.name && slices.Equal(a.hosts, b.hosts)
		}),
		gatewayClusters:  newMemo[envoyir.Cluster, checked[*clusterv3.Cluster]](equalComparable[envoyir.Cluster]),
		gatewayEndpoints: newMemo[envoyir.LoadAssignment, checked[*endpointv3.ClusterLoadAssignment]](equalLoadAssignments),
		meshHosts:        newMemo[envoyir.VirtualHost, meshHost](deep),
		meshClusters:     newMemo[meshClusterInput, checked[*clusterv3.Cluster]](equalComparable[meshClusterInput]),
		meshEndpoints:    newMemo[envoyir.LoadAssignment, checked[*endpointv3.ClusterLoadAssignment]](equalLoadAssignments),
		sidecarClusters:  newMemo[envoyir.Cluster, checked[*clusterv3.Cluster]](equalComparable[envoyir.Cluster]),
		sidecarEndpoints: newMemo[parentEndpoints, checked[*endpointv3.ClusterLoadAssignment]](equalParentEndpoints),
		sidecarRoutes: newMemo[sidecarRoutesInput, map[uint32]checked[*routev3.RouteConfiguration]](func(a, b sidecarRoutesInput) bool {
			return maps.Equal(a.instances, b.instances) && slices.EqualFunc(a.wildcards, b.wildcards, equalInstanceWildcards) &&
				slices.EqualFunc(a.hosts, b.hosts, deep)
		}),
		sidecarListeners: newMemo[uint32, checked[*listenerv3.Listener]](equalComparable[uint32]),
	}
	for _, m := range t.memos() {
		m.yieldTo(t.checkpoint)
	}
	return t
}

// anyMemo is what a Translator does with each of its memos.
type anyMemo interface {
	yieldTo(checkpoint func())
	endRound()
}

// memos lists every memo; each lookup is a checkpoint.
func (t *Translator) memos() []anyMemo {
	return []anyMemo{t.gatewayListeners, t.gatewayOverrides, t.gatewayHosts, t.gatewayRoutes,
		t.gatewayClusters, t.gatewayEndpoints, t.meshHosts, t.meshClusters, t.meshEndpoints,
		t.sidecarClusters, t.sidecarEndpoints, t.sidecarRoutes, t.sidecarListeners}
}

func (t *Translator) checkpoint() {
	if t.Checkpoint != nil {
		t.Checkpoint()
	}
}

// equalLoadAssignments compares endpoints, at once when both are the very
// slice (envoyir.Translator hands unchanged endpoints on as they were).
func equalLoadAssignments(a, b envoyir.LoadAssignment) bool {
	if a.Cluster != b.Cluster || len(a.Endpoints) != len(b.Endpoints) {
		return false
	}
	return len(a.Endpoints) == 0 || &a.Endpoints[0] == &b.Endpoints[0] || slices.Equal(a.Endpoints, b.Endpoints)
}

// Translate builds the resources of every class from the IR, as the
// package's Translate does.
func (t *Translator) Translate(ir envoyir.IR) (Resources, []error) {
	res := Resources{
		GatewayListeners: make(map[string]*listenerv3.Listener, t.sizes.gatewayListeners),
		MeshListeners:    make(map[string]*listenerv3.Listener, t.sizes.meshListeners),
		Routes:           make(map[string]*routev3.RouteConfiguration, t.sizes.routes),
		GatewayClusters:  make(map[string]*clusterv3.Cluster, t.sizes.gatewayClusters),
		MeshClusters:     make(map[string]*clusterv3.Cluster, len(ir.Clusters)),
		SidecarClusters:  make(map[string]*clusterv3.Cluster, t.sizes.sidecarClusters),
		GatewayEndpoints: make(map[string]*endpointv3.ClusterLoadAssignment, t.sizes.gatewayEndpoints),
		MeshEndpoints:    make(map[string]*endpointv3.ClusterLoadAssignment, len(ir.LoadAssignments)),
		SidecarEndpoints: make(map[string]*endpointv3.ClusterLoadAssignment, t.sizes.sidecarEndpoints),
	}
	// The hosts in the sidecars' scope, and the clusters they route to:
	// the internal routes, reached inside the container network.
	t.parents = map[string][]instanceEndpoints{}
	sidecarScope := sidecarHosts(ir)
	sidecarClusters := routedClusters(map[string]bool{}, sidecarScope)
	errs := t.addGateways(&res, ir)
	t.checkpoint()
	errs = append(errs, t.addMesh(&res, ir, sidecarClusters)...)
	t.checkpoint()
	errs = append(errs, t.addSidecars(&res, ir, sidecarScope, sidecarClusters)...)
	t.endRound()
	t.served = newServedEndpoints(res, t.parents)
	t.sizes = resourceSizes{len(res.GatewayListeners), len(res.MeshListeners), len(res.Routes), len(res.GatewayClusters),
		len(res.SidecarClusters), len(res.GatewayEndpoints), len(res.SidecarEndpoints)}
	return res, errs
}

func (t *Translator) endRound() {
	for _, m := range t.memos() {
		m.endRound()
	}
}

func (t *Translator) addGateways(res *Resources, ir envoyir.IR) []error {
	var errs []error
	override := t.gatewayOverrides.get("", ir.GatewayAuthorization, func(a *envoyir.Authorization) *gatewayOverride {
		typed, err := rbacOverride(a)
		return &gatewayOverride{typed: typed, err: err}
	})
	for _, l := range ir.GatewayListeners {
		name := GatewayListenerName(t.opts.GatewayBindAddress, l.Port)
		errs = add(res.GatewayListeners, t.gatewayListeners.get(name, withoutVirtualHosts(l), func(l envoyir.GatewayListener) checked[*listenerv3.Listener] {
			return check(gatewayListener(l, t.opts))
		}), errs)
		for _, s := range l.Servers {
			errs = add(res.Routes, t.gatewayRouteConfiguration(s, l.Port, override), errs)
		}
	}
	routed := gatewayClusterNames(ir)
	for _, c := range ir.Clusters {
		if !routed[c.Name] {
			continue
		}
		errs = add(res.GatewayClusters, t.gatewayClusters.get(c.Name, c, func(c envoyir.Cluster) checked[*clusterv3.Cluster] {
			return check(gatewayCluster(c, t.opts))
		}), errs)
	}
	for _, la := range ir.LoadAssignments {
		if !routed[la.Cluster] {
			continue
		}
		errs = add(res.GatewayEndpoints, t.gatewayLoadAssignment(la), errs)
	}
	return errs
}

// gatewayClusterNames are the clusters the gateway servers' routes name.
// Gateways get only these: a mesh-only host's clusters (an internal route,
// or an instance's own `<index>.<host>`) would only cost them memory, and
// each one added would resend every cluster to every State-of-the-World
// gateway (issue 8).
func gatewayClusterNames(ir envoyir.IR) map[string]bool {
	names := map[string]bool{}
	for _, l := range ir.GatewayListeners {
		for _, s := range l.Servers {
			routedClusters(names, s.VirtualHosts)
		}
	}
	return names
}

// withoutVirtualHosts is what a gateway listener is built from: its
// servers' route names and TLS, not their hosts.
func withoutVirtualHosts(l envoyir.GatewayListener) envoyir.GatewayListener {
	servers := make([]envoyir.GatewayServer, len(l.Servers))
	for i, s := range l.Servers {
		s.VirtualHosts = nil
		servers[i] = s
	}
	return envoyir.GatewayListener{Port: l.Port, Servers: servers}
}

// gatewayRouteConfiguration holds one virtual host per route host of a
// gateway server (gatewayVirtualHost), reusing each unchanged one, and the
// whole configuration when none changed.
func (t *Translator) gatewayRouteConfiguration(s envoyir.GatewayServer, port uint32, override *gatewayOverride) checked[*routev3.RouteConfiguration] {
	if override.err != nil {
		return check[*routev3.RouteConfiguration](nil, override.err)
	}
	hosts := make([]*routev3.VirtualHost, len(s.VirtualHosts))
	for i, h := range s.VirtualHosts {
		hosts[i] = t.gatewayHosts.get(s.RouteName+"\x00"+h.Name, gatewayHost{host: h, port: port, override: override}, func(in gatewayHost) *routev3.VirtualHost {
			return gatewayVirtualHost(in.host, in.port, in.override.typed, t.opts)
		})
	}
	return t.gatewayRoutes.get(s.RouteName, gatewayRouteInput{name: s.RouteName, hosts: hosts}, func(in gatewayRouteInput) checked[*routev3.RouteConfiguration] {
		return check(&routev3.RouteConfiguration{Name: in.name, ValidateClusters: wrapperspb.Bool(false), VirtualHosts: in.hosts}, nil)
	})
}

// addMesh builds what proxyless gRPC clients get: an API listener and route
// configuration per host and port, and every cluster, in mutual TLS to
// internal routes when the mesh requires it.
func (t *Translator) addMesh(res *Resources, ir envoyir.IR, internal map[string]bool) []error {
	var errs []error
	for _, h := range ir.MeshHosts {
		built := t.meshHosts.get(h.Name, h, t.buildMeshHost)
		if built.listenersErr != nil {
			errs = append(errs, built.listenersErr)
		}
		for _, l := range built.listeners {
			errs = add(res.MeshListeners, l, errs)
		}
		for _, rc := range built.routes {
			errs = add(res.Routes, rc, errs)
		}
	}
	for _, c := range ir.Clusters {
		in := meshClusterInput{cluster: c, mtls: t.opts.Mesh.MTLS && internal[c.Name]}
		errs = add(res.MeshClusters, t.meshClusters.get(c.Name, in, func(in meshClusterInput) checked[*clusterv3.Cluster] {
			if in.mtls {
				return check(meshMTLSCluster(in.cluster, t.opts))
			}
			return check(meshCluster(in.cluster, t.opts))
		}), errs)
	}
	for _, la := range ir.LoadAssignments {
		errs = add(res.MeshEndpoints, t.meshLoadAssignment(la), errs)
	}
	return errs
}

func (t *Translator) buildMeshHost(h envoyir.VirtualHost) meshHost {
	var out meshHost
	listeners, err := meshListeners(h)
	if err != nil {
		out.listenersErr = fmt.Errorf("mesh listeners for %s: %w", h.Name, err)
	}
	for _, l := range listeners {
		out.listeners = append(out.listeners, check(l, nil))
	}
	for _, rc := range meshRouteConfigurations(h) {
		out.routes = append(out.routes, check(rc, nil))
	}
	return out
}

// gatewayLoadAssignment is a cluster's endpoints as gateways reach them.
func (t *Translator) gatewayLoadAssignment(la envoyir.LoadAssignment) checked[*endpointv3.ClusterLoadAssignment] {
	return t.gatewayEndpoints.get(la.Cluster, la, func(la envoyir.LoadAssignment) checked[*endpointv3.ClusterLoadAssignment] {
		return check(gatewayLoadAssignment(la), nil)
	})
}

// meshLoadAssignment is a cluster's plain-port endpoints, which proxyless
// clients and sidecars share.
func (t *Translator) meshLoadAssignment(la envoyir.LoadAssignment) checked[*endpointv3.ClusterLoadAssignment] {
	return t.meshEndpoints.get(la.Cluster, la, func(la envoyir.LoadAssignment) checked[*endpointv3.ClusterLoadAssignment] {
		return check(meshLoadAssignment(la), nil)
	})
}
