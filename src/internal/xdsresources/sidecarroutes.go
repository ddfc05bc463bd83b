package xdsresources

import (
	"fmt"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

// sidecarOutboundRoutes gives each port of the hosts sidecars reach its
// route configuration: one virtual host per host (with and without the
// port), one per instance wildcard, and a last one passing any other HTTP
// through to where it was going (traffic to containers outside the mesh
// keeps working). A route to a per-instance cluster folded into its
// parent's goes to the parent's cluster, matching the instance (ADR 19).
func sidecarOutboundRoutes(in sidecarRoutesInput) map[uint32]*routev3.RouteConfiguration {
	out := map[uint32]*routev3.RouteConfiguration{}
	config := func(port uint32) *routev3.RouteConfiguration {
		rc := out[port]
		if rc == nil {
			rc = &routev3.RouteConfiguration{Name: SidecarOutboundRouteName(port)}
			out[port] = rc
		}
		return rc
	}
	for _, h := range in.hosts {
		if isWildcard(h.Name) {
			continue
		}
		for _, port := range h.ServicePorts {
			vh := &routev3.VirtualHost{Name: fmt.Sprintf("%s:%d", h.Name, port), Domains: []string{h.Name, fmt.Sprintf("%s:%d", h.Name, port)}}
			for _, r := range h.Routes {
				vh.Routes = append(vh.Routes, sidecarRoute(r, in.instances))
			}
			rc := config(port)
			rc.VirtualHosts = append(rc.VirtualHosts, vh)
		}
	}
	for _, w := range in.wildcards {
		rc := config(w.port)
		rc.VirtualHosts = append(rc.VirtualHosts, instanceWildcardHost(w))
	}
	for _, rc := range out {
		rc.VirtualHosts = append(rc.VirtualHosts, &routev3.VirtualHost{
			Name:    "allow_any",
			Domains: []string{"*"},
			Routes:  []*routev3.Route{passthroughRoute()},
		})
	}
	return out
}

// passthroughRoute sends a request on to the address it was going to.
func passthroughRoute() *routev3.Route {
	return &routev3.Route{
		Name:   "allow_any",
		Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
		Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: PassthroughCluster}, Timeout: durationpb.New(0)}},
	}
}

// sidecarRoute applies the route's policy in Envoy's terms; without a
// timeout of its own a mesh request may take as long as it needs (Istio's
// default), and a failed connection is retried on another instance.
func sidecarRoute(r envoyir.Route, instances map[string]instanceRoute) *routev3.Route {
	action := sidecarRouteAction(r.Clusters, instances)
	action.Timeout = durationpb.New(r.Policy.Timeout.Std())
	action.RetryPolicy = gatewayRetryPolicy(r.Policy.Retry)
	route := baseRoute(r, action)
	route.TypedPerFilterConfig = perFilterConfig(r.Policy, true)
	return route
}

// sidecarRouteAction is routeAction with every folded per-instance cluster
// replaced by its parent's and a metadata match for its instance, in the
// route or in its weighted-cluster entry (the route splits across apps).
func sidecarRouteAction(clusters []envoyir.WeightedCluster, instances map[string]instanceRoute) *routev3.RouteAction {
	action := routeAction(clusters)
	if to, ok := instances[action.GetCluster()]; ok {
		action.ClusterSpecifier = &routev3.RouteAction_Cluster{Cluster: to.parent}
		action.MetadataMatch = instanceMetadata(to.index)
	}
	for _, wc := range action.GetWeightedClusters().GetClusters() {
		if to, ok := instances[wc.GetName()]; ok {
			wc.Name, wc.MetadataMatch = to.parent, instanceMetadata(to.index)
		}
	}
	return action
}

// inboundRoutes are an app's inbound route configuration for one port: one
// virtual host for every authority, carrying the app's authorization. A
// sidecar forwards to the app in its container; a proxyless gRPC server
// handles the call itself (non-forwarding, as gRPC requires).
func inboundRoutes(in envoyir.InboundApp, port uint32, proxyless bool) (*routev3.RouteConfiguration, error) {
	override, err := rbacOverride(in.Authorization)
	if err != nil {
		return nil, err
	}
	route := &routev3.Route{
		Name:  "inbound",
		Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
		Action: &routev3.Route_Route{Route: &routev3.RouteAction{
			ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: InboundClusterName(port)},
			Timeout:          durationpb.New(0),
		}},
	}
	if proxyless {
		route.Action = &routev3.Route_NonForwardingAction{NonForwardingAction: &routev3.NonForwardingAction{}}
	}
	name := InboundRouteName(port, in.AppGUID)
	return &routev3.RouteConfiguration{
		Name: name,
		VirtualHosts: []*routev3.VirtualHost{{
			Name:                 name,
			Domains:              []string{"*"},
			Routes:               []*routev3.Route{route},
			TypedPerFilterConfig: override,
		}},
	}, nil
}
