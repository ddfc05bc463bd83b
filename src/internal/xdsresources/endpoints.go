package xdsresources

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

// transportSocketMatchKey is where Envoy looks for an endpoint's
// transport_socket_matches metadata.
const transportSocketMatchKey = "envoy.transport_socket_match"

// tlsEndpointMetadata marks an endpoint to be reached over TLS.
var tlsEndpointMetadata = func() *corev3.Metadata {
	match, _ := structpb.NewStruct(map[string]any{tlsEndpointMatch: true})
	return &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{transportSocketMatchKey: match}}
}()

// gatewayLoadAssignment reaches an instance on its TLS port, with the SAN
// to verify as its hostname (auto SNI and SAN validation), when it has a
// container proxy, and on its plain port otherwise.
func gatewayLoadAssignment(la envoyir.LoadAssignment) *endpointv3.ClusterLoadAssignment {
	var lbEndpoints []*endpointv3.LbEndpoint
	for _, e := range la.Endpoints {
		switch {
		case e.TLSPort != 0 && e.SAN != "":
			lbEndpoints = append(lbEndpoints, &endpointv3.LbEndpoint{
				HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
					Address: socketAddress(e.Address, e.TLSPort), Hostname: e.SAN,
				}},
				Metadata: tlsEndpointMetadata,
			})
		case e.Port != 0:
			lbEndpoints = append(lbEndpoints, plainEndpoint(e))
		}
	}
	return loadAssignment(la.Cluster, lbEndpoints)
}

// meshLoadAssignment reaches instances on their plain ports: proxyless gRPC
// clients originate no TLS to container proxies.
func meshLoadAssignment(la envoyir.LoadAssignment) *endpointv3.ClusterLoadAssignment {
	var lbEndpoints []*endpointv3.LbEndpoint
	for _, e := range la.Endpoints {
		if e.Port != 0 {
			lbEndpoints = append(lbEndpoints, plainEndpoint(e))
		}
	}
	return loadAssignment(la.Cluster, lbEndpoints)
}

func plainEndpoint(e envoyir.Endpoint) *endpointv3.LbEndpoint {
	return &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
		Address: socketAddress(e.Address, e.Port),
	}}}
}

// loadAssignment puts every endpoint in one locality of weight 1 (gRPC
// ignores localities without a weight).
func loadAssignment(cluster string, lbEndpoints []*endpointv3.LbEndpoint) *endpointv3.ClusterLoadAssignment {
	return &endpointv3.ClusterLoadAssignment{
		ClusterName: cluster,
		Endpoints: []*endpointv3.LocalityLbEndpoints{{
			Locality:            &corev3.Locality{},
			LoadBalancingWeight: wrapperspb.UInt32(1),
			LbEndpoints:         lbEndpoints,
		}},
	}
}
