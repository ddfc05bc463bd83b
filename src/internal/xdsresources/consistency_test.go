package xdsresources_test

import (
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// expectConsistent checks every reference a proxy would follow resolves:
// listener → route configuration → cluster → load assignment, and that every
// resource validates. (go-control-plane's Snapshot.Consistent does not follow
// an API listener's RDS reference.)
func expectConsistent(res xdsresources.Resources) {
	for _, set := range []map[string]*listenerv3.Listener{res.GatewayListeners, res.MeshListeners} {
		for name, l := range set {
			Expect(l.ValidateAll()).To(Succeed(), name)
			Expect(res.Routes).To(HaveKey(routeConfigOf(l)), "listener %s names a route configuration that exists", name)
		}
	}
	for name, rc := range res.Routes {
		Expect(rc.ValidateAll()).To(Succeed(), name)
		for _, vh := range rc.GetVirtualHosts() {
			for _, r := range vh.GetRoutes() {
				action := r.GetRoute()
				names := []string{action.GetCluster()}
				if action.GetCluster() == "" {
					names = nil
					for _, wc := range action.GetWeightedClusters().GetClusters() {
						names = append(names, wc.GetName())
					}
				}
				for _, c := range names {
					Expect(res.Clusters).To(HaveKey(c), "route %s in %s", r.GetName(), name)
				}
			}
		}
	}
	for name, c := range res.Clusters {
		Expect(c.ValidateAll()).To(Succeed(), name)
		Expect(res.Endpoints).To(HaveKey(c.GetEdsClusterConfig().GetServiceName()), "cluster %s has endpoints", name)
	}
	for name, e := range res.Endpoints {
		Expect(e.ValidateAll()).To(Succeed(), name)
	}
}

func routeConfigOf(l *listenerv3.Listener) string {
	hcm := &hcmv3.HttpConnectionManager{}
	if l.GetApiListener() != nil {
		Expect(l.GetApiListener().GetApiListener().UnmarshalTo(hcm)).To(Succeed())
	} else {
		Expect(l.GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(hcm)).To(Succeed())
	}
	return hcm.GetRds().GetRouteConfigName()
}
