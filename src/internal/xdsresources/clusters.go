package xdsresources

import (
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

const httpProtocolOptionsExtension = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

// cluster is an EDS cluster whose endpoints come over the same ADS stream.
func cluster(c envoyir.Cluster, opts Options) (*clusterv3.Cluster, error) {
	out := &clusterv3.Cluster{
		Name:                 c.Name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		EdsClusterConfig:     &clusterv3.Cluster_EdsClusterConfig{EdsConfig: adsConfigSource(), ServiceName: c.Name},
		ConnectTimeout:       durationpb.New(millis(opts.ConnectTimeoutMillis)),
		LbPolicy:             lbPolicy(c.LoadBalancing),
	}
	if c.HTTP2 {
		options, err := anypb.New(&httpv3.HttpProtocolOptions{
			UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
				ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}},
			}},
		})
		if err != nil {
			return nil, err
		}
		out.TypedExtensionProtocolOptions = map[string]*anypb.Any{httpProtocolOptionsExtension: options}
	}
	return out, nil
}

func lbPolicy(lb envoyir.LoadBalancing) clusterv3.Cluster_LbPolicy {
	if lb == envoyir.LeastRequest {
		return clusterv3.Cluster_LEAST_REQUEST
	}
	return clusterv3.Cluster_ROUND_ROBIN
}

// loadAssignment puts every endpoint in one locality of weight 1 (gRPC
// ignores localities without a weight).
func loadAssignment(la envoyir.LoadAssignment) *endpointv3.ClusterLoadAssignment {
	locality := &endpointv3.LocalityLbEndpoints{
		Locality:            &corev3.Locality{},
		LoadBalancingWeight: wrapperspb.UInt32(1),
	}
	for _, e := range la.Endpoints {
		locality.LbEndpoints = append(locality.LbEndpoints, &endpointv3.LbEndpoint{
			HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: socketAddress(e.Address, e.Port),
			}},
		})
	}
	return &endpointv3.ClusterLoadAssignment{
		ClusterName: la.Cluster,
		Endpoints:   []*endpointv3.LocalityLbEndpoints{locality},
	}
}

func millis(ms int64) time.Duration {
	return time.Duration(ms) * time.Millisecond
}
