package xdsresources

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

const (
	httpProtocolOptionsExtension = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
	// tlsEndpointMatch is the endpoint metadata that selects the TLS
	// transport socket: endpoints with a container proxy carry it.
	tlsEndpointMatch = "container-proxy-tls"
	// generousLimit keeps Envoy's circuit breakers (1024 by default) from
	// failing requests gorouter would have served.
	generousLimit = 100000
)

// gatewayCluster reaches a subset's instances over TLS to their container
// proxies where they have one (route integrity: each endpoint's own SAN is
// verified against the instance identity CA) and in plain HTTP where they
// do not, ejects instances that keep failing at the gateway level, and
// balances as the route asks.
func gatewayCluster(c envoyir.Cluster, opts Options) (*clusterv3.Cluster, error) {
	out, err := baseCluster(c, opts)
	if err != nil {
		return nil, err
	}
	upstream, err := toAny(&tlsv3.UpstreamTlsContext{
		CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsParams:                      &tlsv3.TlsParameters{TlsMinimumProtocolVersion: tlsv3.TlsParameters_TLSv1_2},
			TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{fileSecret(opts.UpstreamClientSecret, opts)},
			ValidationContextType: &tlsv3.CommonTlsContext_ValidationContextSdsSecretConfig{
				ValidationContextSdsSecretConfig: fileSecret(opts.UpstreamCASecret, opts),
			},
		},
		AutoHostSni:          true,
		AutoSniSanValidation: true,
	})
	if err != nil {
		return nil, err
	}
	match, _ := structpb.NewStruct(map[string]any{tlsEndpointMatch: true})
	out.TransportSocketMatches = []*clusterv3.Cluster_TransportSocketMatch{{
		Name:            tlsEndpointMatch,
		Match:           match,
		TransportSocket: &corev3.TransportSocket{Name: tlsTransportSocket, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: upstream}},
	}}
	out.OutlierDetection = &clusterv3.OutlierDetection{
		Consecutive_5Xx:                    wrapperspb.UInt32(5),
		EnforcingConsecutive_5Xx:           wrapperspb.UInt32(0),
		ConsecutiveGatewayFailure:          wrapperspb.UInt32(3),
		EnforcingConsecutiveGatewayFailure: wrapperspb.UInt32(100),
		Interval:                           durationpb.New(5e9),
		BaseEjectionTime:                   durationpb.New(30e9),
		MaxEjectionPercent:                 wrapperspb.UInt32(50),
	}
	out.CircuitBreakers = &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{{
		MaxConnections:     wrapperspb.UInt32(generousLimit),
		MaxPendingRequests: wrapperspb.UInt32(generousLimit),
		MaxRequests:        wrapperspb.UInt32(generousLimit),
		MaxRetries:         wrapperspb.UInt32(generousLimit),
	}}}
	return out, nil
}

// meshCluster is what a gRPC client understands: EDS over ADS and a
// balancing policy.
func meshCluster(c envoyir.Cluster, opts Options) (*clusterv3.Cluster, error) {
	return &clusterv3.Cluster{
		Name:                 c.Name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		EdsClusterConfig:     &clusterv3.Cluster_EdsClusterConfig{EdsConfig: adsConfigSource(), ServiceName: c.Name},
		ConnectTimeout:       durationpb.New(opts.ConnectTimeout),
		LbPolicy:             lbPolicy(c.LoadBalancing),
	}, nil
}

func baseCluster(c envoyir.Cluster, opts Options) (*clusterv3.Cluster, error) {
	out, _ := meshCluster(c, opts)
	if !c.HTTP2 {
		return out, nil
	}
	options, err := toAny(&httpv3.HttpProtocolOptions{
		UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}},
		}},
	})
	if err != nil {
		return nil, err
	}
	out.TypedExtensionProtocolOptions = map[string]*anypb.Any{httpProtocolOptionsExtension: options}
	return out, nil
}

func lbPolicy(lb envoyir.LoadBalancing) clusterv3.Cluster_LbPolicy {
	if lb == envoyir.LeastRequest {
		return clusterv3.Cluster_LEAST_REQUEST
	}
	return clusterv3.Cluster_ROUND_ROBIN
}
