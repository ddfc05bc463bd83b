package xdsresources_test

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	headertometadatav3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/header_to_metadata/v3"
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
		expectPerRouteFiltersInChain(l, own.Routes)
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
// endpoint metadata (a per-instance host, ADR 19), from its metadata match
// or from the request metadata its header-to-metadata rules write, names a
// cluster whose subset load balancer selects by exactly those keys, without
// falling back to another instance.
func expectSubsetsSelectable(rc *routev3.RouteConfiguration, clusters map[string]*clusterv3.Cluster) {
	expect := func(cluster string, keys []string) {
		if len(keys) == 0 {
			return
		}
		selectors := clusters[cluster].GetLbSubsetConfig().GetSubsetSelectors()
		Expect(selectors).To(ContainElement(And(
			HaveField("Keys", ConsistOf(keys)),
			HaveField("FallbackPolicy", clusterv3.Cluster_LbSubsetConfig_LbSubsetSelector_NO_FALLBACK),
		)), "cluster %s selects subsets by %v", cluster, keys)
	}
	for _, vh := range rc.GetVirtualHosts() {
		for _, r := range vh.GetRoutes() {
			action := r.GetRoute()
			requestKeys := requestMetadataKeys(r)
			if len(requestKeys) > 0 {
				Expect(action.GetCluster()).NotTo(BeEmpty(), "route %s labels the request for one cluster", r.GetName())
			}
			expect(action.GetCluster(), append(metadataMatchKeys(action.GetMetadataMatch()), requestKeys...))
			for _, wc := range action.GetWeightedClusters().GetClusters() {
				expect(wc.GetName(), metadataMatchKeys(wc.GetMetadataMatch()))
			}
		}
	}
}

func metadataMatchKeys(match *corev3.Metadata) []string {
	if match == nil {
		return nil
	}
	Expect(match.GetFilterMetadata()).To(HaveLen(1), "a route matches envoy.lb metadata only")
	var keys []string
	for key := range match.GetFilterMetadata()["envoy.lb"].GetFields() {
		keys = append(keys, key)
	}
	return keys
}

// requestMetadataKeys are the envoy.lb keys a route's header-to-metadata
// rules write for the subset load balancer.
func requestMetadataKeys(r *routev3.Route) []string {
	typed, ok := r.GetTypedPerFilterConfig()["envoy.filters.http.header_to_metadata"]
	if !ok {
		return nil
	}
	config := &headertometadatav3.Config{}
	Expect(typed.UnmarshalTo(config)).To(Succeed())
	Expect(config.GetRequestRules()).NotTo(BeEmpty(), "Envoy rejects a per-route header-to-metadata config without rules")
	var keys []string
	for _, rule := range config.GetRequestRules() {
		if kv := rule.GetOnHeaderPresent(); kv.GetMetadataNamespace() == "envoy.lb" {
			keys = append(keys, kv.GetKey())
		}
	}
	return keys
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

// expectPerRouteFiltersInChain checks that every filter a route
// configuration configures per route or virtual host runs in the HTTP
// filter chain of the connection manager naming it, before the router;
// otherwise that configuration has no effect.
func expectPerRouteFiltersInChain(l *listenerv3.Listener, routes map[string]*routev3.RouteConfiguration) {
	hcm := &hcmv3.HttpConnectionManager{}
	for _, f := range filtersOf(l) {
		if !f.GetTypedConfig().MessageIs(hcm) {
			continue
		}
		Expect(f.GetTypedConfig().UnmarshalTo(hcm)).To(Succeed())
		var chain []string
		for _, h := range hcm.GetHttpFilters() {
			chain = append(chain, h.GetName())
		}
		Expect(chain).NotTo(BeEmpty())
		beforeRouter := chain[:len(chain)-1]
		for _, vh := range routes[hcm.GetRds().GetRouteConfigName()].GetVirtualHosts() {
			for name := range vh.GetTypedPerFilterConfig() {
				Expect(beforeRouter).To(ContainElement(name), "listener %s runs %s, which virtual host %s configures", l.GetName(), name, vh.GetName())
			}
			for _, r := range vh.GetRoutes() {
				for name := range r.GetTypedPerFilterConfig() {
					Expect(beforeRouter).To(ContainElement(name), "listener %s runs %s, which route %s configures", l.GetName(), name, r.GetName())
				}
			}
		}
	}
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
