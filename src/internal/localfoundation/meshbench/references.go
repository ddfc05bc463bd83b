package meshbench

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// references are the names a resource makes its proxy ask for next: a
// listener's route configurations (RDS), an EDS cluster's load assignment,
// a route configuration's clusters. Undecodable resources refer to nothing.
func references(typeURL string, body []byte) []string {
	switch typeURL {
	case resourcev3.ListenerType:
		return listenerRoutes(body)
	case resourcev3.ClusterType:
		return clusterLoadAssignment(body)
	case resourcev3.RouteType:
		return routeClusters(body)
	}
	return nil
}

func listenerRoutes(body []byte) []string {
	var l listenerv3.Listener
	if proto.Unmarshal(body, &l) != nil {
		return nil
	}
	var out []string
	add := func(a *anypb.Any) {
		if a.GetTypeUrl() != "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager" {
			return
		}
		var hcm hcmv3.HttpConnectionManager
		if proto.Unmarshal(a.GetValue(), &hcm) == nil && hcm.GetRds().GetRouteConfigName() != "" {
			out = append(out, hcm.GetRds().GetRouteConfigName())
		}
	}
	add(l.GetApiListener().GetApiListener())
	for _, chain := range append(l.GetFilterChains(), l.GetDefaultFilterChain()) {
		for _, f := range chain.GetFilters() {
			add(f.GetTypedConfig())
		}
	}
	return out
}

func clusterLoadAssignment(body []byte) []string {
	var c clusterv3.Cluster
	if proto.Unmarshal(body, &c) != nil || c.GetType() != clusterv3.Cluster_EDS {
		return nil
	}
	if name := c.GetEdsClusterConfig().GetServiceName(); name != "" {
		return []string{name}
	}
	return []string{c.GetName()}
}

func routeClusters(body []byte) []string {
	var rc routev3.RouteConfiguration
	if proto.Unmarshal(body, &rc) != nil {
		return nil
	}
	var out []string
	for _, vh := range rc.GetVirtualHosts() {
		for _, r := range vh.GetRoutes() {
			if c := r.GetRoute().GetCluster(); c != "" {
				out = append(out, c)
			}
			for _, wc := range r.GetRoute().GetWeightedClusters().GetClusters() {
				out = append(out, wc.GetName())
			}
		}
	}
	return out
}
