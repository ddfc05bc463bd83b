package xdsresources_test

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	rbacnetworkv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// expectConsistent checks, per proxy class, that every reference a proxy
// would follow resolves — listener → route configuration → cluster → load
// assignment — and that every resource validates. (go-control-plane's
// Snapshot.Consistent does not follow an API listener's RDS reference.)
func expectConsistent(res xdsresources.Resources) {
	expectClassConsistent(res.GatewayListeners, res.Routes, res.GatewayClusters, res.GatewayEndpoints)
	expectClassConsistent(res.MeshListeners, res.Routes, res.MeshClusters, res.MeshEndpoints)
	expectClassConsistent(nil, nil, res.SidecarClusters, res.SidecarEndpoints)
}

func expectClassConsistent(listeners map[string]*listenerv3.Listener, routes map[string]*routev3.RouteConfiguration,
	clusters map[string]*clusterv3.Cluster, endpoints map[string]*endpointv3.ClusterLoadAssignment) {
	for name, l := range listeners {
		Expect(l.ValidateAll()).To(Succeed(), name)
		for _, rds := range routeConfigsOf(l) {
			Expect(routes).To(HaveKey(rds), "listener %s names a route configuration that exists", name)
			for _, c := range clustersOf(routes[rds]) {
				Expect(clusters).To(HaveKey(c), "route configuration %s names cluster %s", rds, c)
			}
		}
	}
	for name, rc := range routes {
		Expect(rc.ValidateAll()).To(Succeed(), name)
	}
	for name, c := range clusters {
		Expect(c.ValidateAll()).To(Succeed(), name)
		if c.GetType() == clusterv3.Cluster_EDS {
			Expect(endpoints).To(HaveKey(c.GetEdsClusterConfig().GetServiceName()), "cluster %s has endpoints", name)
		}
	}
	for name, e := range endpoints {
		Expect(e.ValidateAll()).To(Succeed(), name)
	}
}

// routeConfigsOf lists the route configurations a listener's connection
// managers name.
func routeConfigsOf(l *listenerv3.Listener) []string {
	hcm := &hcmv3.HttpConnectionManager{}
	if l.GetApiListener() != nil {
		Expect(l.GetApiListener().GetApiListener().UnmarshalTo(hcm)).To(Succeed())
		return []string{hcm.GetRds().GetRouteConfigName()}
	}
	var names []string
	for _, f := range filtersOf(l) {
		if f.GetTypedConfig().MessageIs(hcm) {
			Expect(f.GetTypedConfig().UnmarshalTo(hcm)).To(Succeed())
			names = append(names, hcm.GetRds().GetRouteConfigName())
		}
	}
	return names
}

// tcpClustersOf lists the clusters a listener's TCP proxies name.
func tcpClustersOf(l *listenerv3.Listener) []string {
	tcp := &tcpproxyv3.TcpProxy{}
	var names []string
	for _, f := range filtersOf(l) {
		if f.GetTypedConfig().MessageIs(tcp) {
			Expect(f.GetTypedConfig().UnmarshalTo(tcp)).To(Succeed())
			names = append(names, tcp.GetCluster())
		}
	}
	return names
}

func filtersOf(l *listenerv3.Listener) []*listenerv3.Filter {
	var filters []*listenerv3.Filter
	for _, chain := range append(l.GetFilterChains(), l.GetDefaultFilterChain()) {
		filters = append(filters, chain.GetFilters()...)
	}
	return filters
}

// expectNodeConsistent checks that a sidecar's or proxyless server's own
// listeners resolve, through its own routes, to the sidecar clusters.
func expectNodeConsistent(own xdsresources.NodeResources, res xdsresources.Resources) {
	for name, l := range own.Listeners {
		Expect(l.ValidateAll()).To(Succeed(), name)
		expectNetworkRBACLoadable(l)
		for _, rds := range routeConfigsOf(l) {
			Expect(own.Routes).To(HaveKey(rds), "listener %s names a route configuration that exists", name)
			for _, c := range clustersOf(own.Routes[rds]) {
				Expect(res.SidecarClusters).To(HaveKey(c), "route configuration %s names cluster %s", rds, c)
			}
			expectSubsetsSelectable(own.Routes[rds], res.SidecarClusters)
		}
		for _, c := range tcpClustersOf(l) {
			Expect(res.SidecarClusters).To(HaveKey(c), "listener %s proxies TCP to cluster %s", name, c)
		}
	}
}

// expectSubsetsSelectable checks that a route or weighted cluster matching
// endpoint metadata (a per-instance host, ADR 19) names a cluster whose
// subset load balancer selects by exactly those keys, without falling back
// to another instance.
func expectSubsetsSelectable(rc *routev3.RouteConfiguration, clusters map[string]*clusterv3.Cluster) {
	expect := func(cluster string, match *corev3.Metadata) {
		if match == nil {
			return
		}
		var keys []string
		for key := range match.GetFilterMetadata()["envoy.lb"].GetFields() {
			keys = append(keys, key)
		}
		Expect(match.GetFilterMetadata()).To(HaveLen(1), "route to %s matches envoy.lb metadata only", cluster)
		selectors := clusters[cluster].GetLbSubsetConfig().GetSubsetSelectors()
		Expect(selectors).To(ContainElement(And(
			HaveField("Keys", ConsistOf(keys)),
			HaveField("FallbackPolicy", clusterv3.Cluster_LbSubsetConfig_LbSubsetSelector_NO_FALLBACK),
		)), "cluster %s selects subsets by %v", cluster, keys)
	}
	for _, vh := range rc.GetVirtualHosts() {
		for _, r := range vh.GetRoutes() {
			action := r.GetRoute()
			expect(action.GetCluster(), action.GetMetadataMatch())
			for _, wc := range action.GetWeightedClusters().GetClusters() {
				expect(wc.GetName(), wc.GetMetadataMatch())
			}
		}
	}
}

func clustersOf(rc *routev3.RouteConfiguration) []string {
	var names []string
	for _, vh := range rc.GetVirtualHosts() {
		for _, r := range vh.GetRoutes() {
			action := r.GetRoute()
			if action.GetCluster() != "" {
				names = append(names, action.GetCluster())
			}
			for _, wc := range action.GetWeightedClusters().GetClusters() {
				names = append(names, wc.GetName())
			}
		}
	}
	return names
}

// expectNetworkRBACLoadable checks what Envoy checks when it loads a
// network RBAC filter and ValidateAll does not: no header or path
// condition (Envoy refuses the listener for one).
func expectNetworkRBACLoadable(l *listenerv3.Listener) {
	rbac := &rbacnetworkv3.RBAC{}
	for _, f := range filtersOf(l) {
		if !f.GetTypedConfig().MessageIs(rbac) {
			continue
		}
		Expect(f.GetTypedConfig().UnmarshalTo(rbac)).To(Succeed())
		for name, p := range rbac.GetRules().GetPolicies() {
			for _, perm := range p.GetPermissions() {
				Expect(httpOnlyPermission(perm)).To(BeFalse(), "listener %s network RBAC policy %s", l.GetName(), name)
			}
		}
	}
}

func httpOnlyPermission(p *rbacv3.Permission) bool {
	if p.GetHeader() != nil || p.GetUrlPath() != nil {
		return true
	}
	var nested []*rbacv3.Permission
	nested = append(nested, p.GetAndRules().GetRules()...)
	nested = append(nested, p.GetOrRules().GetRules()...)
	if p.GetNotRule() != nil {
		nested = append(nested, p.GetNotRule())
	}
	for _, n := range nested {
		if httpOnlyPermission(n) {
			return true
		}
	}
	return false
}
