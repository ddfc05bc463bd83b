package gatewaybootstrap

import (
	"fmt"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// xdsCluster lists every pilot in one static HTTP/2 cluster, over mutual
// TLS when configured.
func xdsCluster(pilots []string, tls *PilotTLS) (*clusterv3.Cluster, error) {
	c, err := staticCluster(XDSClusterName, pilots, true)
	if err != nil {
		return nil, fmt.Errorf("pilot address: %w", err)
	}
	if tls == nil {
		return c, nil
	}
	upstream, err := anypb.New(&tlsv3.UpstreamTlsContext{
		Sni: tls.ServerName,
		CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsParams:                      &tlsv3.TlsParameters{TlsMinimumProtocolVersion: tlsv3.TlsParameters_TLSv1_2},
			TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{FileSecretConfig(tls.SecretsDirectory, tls.ClientSecret)},
			ValidationContextType: &tlsv3.CommonTlsContext_CombinedValidationContext{CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
				DefaultValidationContext: &tlsv3.CertificateValidationContext{MatchTypedSubjectAltNames: []*tlsv3.SubjectAltNameMatcher{{
					SanType: tlsv3.SubjectAltNameMatcher_DNS,
					Matcher: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: tls.ServerName}},
				}}},
				ValidationContextSdsSecretConfig: FileSecretConfig(tls.SecretsDirectory, tls.CASecret),
			}},
		},
	})
	if err != nil {
		return nil, err
	}
	c.TransportSocket = &corev3.TransportSocket{Name: "envoy.transport_sockets.tls", ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: upstream}}
	return c, nil
}

// addTracing defines the collector's static cluster.
func addTracing(static *bootstrapv3.Bootstrap_StaticResources, t *TracingCollector) error {
	if t == nil {
		return nil
	}
	c, err := staticCluster(t.Cluster, []string{t.Address}, t.GRPC)
	if err != nil {
		return fmt.Errorf("tracing collector: %w", err)
	}
	static.Clusters = append(static.Clusters, c)
	return nil
}

// staticCluster reaches fixed addresses, over HTTP/2 when h2.
func staticCluster(name string, addresses []string, h2 bool) (*clusterv3.Cluster, error) {
	la := &endpointv3.LocalityLbEndpoints{}
	for _, a := range addresses {
		addr, err := socketAddress(a)
		if err != nil {
			return nil, err
		}
		la.LbEndpoints = append(la.LbEndpoints, &endpointv3.LbEndpoint{
			HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: addr}},
		})
	}
	c := &clusterv3.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		ConnectTimeout:       durationpb.New(250 * time.Millisecond),
		LoadAssignment:       &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{la}},
	}
	if h2 {
		options, err := anypb.New(&httpv3.HttpProtocolOptions{
			UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
				ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}},
			}},
		})
		if err != nil {
			return nil, err
		}
		c.TypedExtensionProtocolOptions = map[string]*anypb.Any{"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": options}
	}
	return c, nil
}
