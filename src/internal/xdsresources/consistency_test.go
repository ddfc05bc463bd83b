package xdsresources_test

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
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
		Expect(endpoints).To(HaveKey(c.GetEdsClusterConfig().GetServiceName()), "cluster %s has endpoints", name)
	}
	for name, e := range endpoints {
		Expect(e.ValidateAll()).To(Succeed(), name)
	}
}

func routeConfigsOf(l *listenerv3.Listener) []string {
	hcm := &hcmv3.HttpConnectionManager{}
	if l.GetApiListener() != nil {
		Expect(l.GetApiListener().GetApiListener().UnmarshalTo(hcm)).To(Succeed())
		return []string{hcm.GetRds().GetRouteConfigName()}
	}
	var names []string
	for _, chain := range l.GetFilterChains() {
		Expect(chain.GetFilters()[0].GetTypedConfig().UnmarshalTo(hcm)).To(Succeed())
		names = append(names, hcm.GetRds().GetRouteConfigName())
	}
	return names
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
