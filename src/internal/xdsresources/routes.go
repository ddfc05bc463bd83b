package xdsresources

import (
	"fmt"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

// gatewayRouteConfiguration holds one virtual host per route host. A request
// for a host no route serves matches no virtual host, and Envoy answers 404,
// as gorouter does for an unknown route.
func gatewayRouteConfiguration(l envoyir.HTTPListener) *routev3.RouteConfiguration {
	rc := &routev3.RouteConfiguration{
		Name:             GatewayRouteName(l.Port),
		ValidateClusters: wrapperspb.Bool(false),
	}
	for _, h := range l.VirtualHosts {
		rc.VirtualHosts = append(rc.VirtualHosts, virtualHost(fmt.Sprintf("%s:%d", h.Name, l.Port), []string{h.Name}, h.Routes))
	}
	return rc
}

// meshRouteConfigurations gives each of a host's service ports its own route
// configuration, matching the host with and without the port.
func meshRouteConfigurations(h envoyir.VirtualHost) []*routev3.RouteConfiguration {
	if isWildcard(h.Name) {
		return nil
	}
	ports := h.ServicePorts
	if len(ports) == 0 {
		ports = []uint32{defaultPort(h)}
	}
	var out []*routev3.RouteConfiguration
	for _, port := range ports {
		name := MeshRouteName(h.Name, port)
		domains := []string{h.Name, fmt.Sprintf("%s:%d", h.Name, port)}
		out = append(out, &routev3.RouteConfiguration{
			Name:         name,
			VirtualHosts: []*routev3.VirtualHost{virtualHost(name, domains, h.Routes)},
		})
	}
	return out
}

func virtualHost(name string, domains []string, routes []envoyir.Route) *routev3.VirtualHost {
	vh := &routev3.VirtualHost{Name: name, Domains: domains}
	for _, r := range routes {
		vh.Routes = append(vh.Routes, &routev3.Route{
			Name:   r.Name,
			Match:  routeMatch(r),
			Action: &routev3.Route_Route{Route: routeAction(r.Clusters)},
		})
	}
	return vh
}

func routeMatch(r envoyir.Route) *routev3.RouteMatch {
	if r.PathExact != "" {
		return &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Path{Path: r.PathExact}}
	}
	return &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: r.PathPrefix}}
}

// routeAction names the cluster directly when there is one destination and
// splits by weight otherwise.
func routeAction(clusters []envoyir.WeightedCluster) *routev3.RouteAction {
	if len(clusters) == 1 {
		return &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: clusters[0].Cluster}}
	}
	wc := &routev3.WeightedCluster{}
	for _, c := range clusters {
		wc.Clusters = append(wc.Clusters, &routev3.WeightedCluster_ClusterWeight{
			Name:   c.Cluster,
			Weight: wrapperspb.UInt32(c.Weight),
		})
	}
	return &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_WeightedClusters{WeightedClusters: wc}}
}
