package xdsresources

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

// sidecarCluster reaches a subset of an internal route's instances from a
// container. With mesh mutual TLS it presents the container's instance
// identity and accepts only a peer whose certificate, signed by the
// instance identity CA, names the route's host: Diego puts every internal
// route of an app into its instances' c2c certificate, which callees
// present (route integrity for the mesh). Its subset load balancing
// selects an instance for a per-instance host folded into it (ADR 19).
func sidecarCluster(c envoyir.Cluster, opts Options) (*clusterv3.Cluster, error) {
	out, err := baseCluster(c, opts)
	if err != nil {
		return nil, err
	}
	out.LbSubsetConfig = instanceSubsets()
	if !opts.Mesh.MTLS {
		return out, nil
	}
	validation := identityCA(opts.Mesh)
	validation.MatchTypedSubjectAltNames = []*tlsv3.SubjectAltNameMatcher{{
		SanType: tlsv3.SubjectAltNameMatcher_DNS,
		Matcher: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: c.Host}},
	}}
	upstream, err := toAny(&tlsv3.UpstreamTlsContext{
		Sni: c.Host,
		CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsParams:                      &tlsv3.TlsParameters{TlsMinimumProtocolVersion: tlsv3.TlsParameters_TLSv1_2},
			TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{containerSecret(IdentitySecret, opts.Mesh)},
			ValidationContextType:          &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: validation},
		},
	})
	if err != nil {
		return nil, err
	}
	out.TransportSocket = &corev3.TransportSocket{Name: tlsTransportSocket, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: upstream}}
	return out, nil
}

// meshMTLSCluster is a proxyless gRPC client's cluster for an internal
// route with mesh mutual TLS: the same checks as a sidecar's, through the
// certificate provider instance of the app's bootstrap (gRPC reads no SDS
// files and refuses tls_params, A29).
func meshMTLSCluster(c envoyir.Cluster, opts Options) (*clusterv3.Cluster, error) {
	out, _ := meshCluster(c, opts)
	upstream, err := toAny(&tlsv3.UpstreamTlsContext{
		Sni: c.Host,
		CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsCertificateProviderInstance: &tlsv3.CertificateProviderPluginInstance{InstanceName: opts.Mesh.CertificateProvider},
			ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
				CaCertificateProviderInstance: &tlsv3.CertificateProviderPluginInstance{InstanceName: opts.Mesh.CertificateProvider},
				MatchSubjectAltNames: []*matcherv3.StringMatcher{
					{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: c.Host}},
				},
			}},
		},
	})
	if err != nil {
		return nil, err
	}
	out.TransportSocket = &corev3.TransportSocket{Name: tlsTransportSocket, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: upstream}}
	return out, nil
}

// passthroughCluster connects to wherever a connection was going before
// garden-cni redirected it.
func passthroughCluster(opts Options) *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 PassthroughCluster,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_ORIGINAL_DST},
		LbPolicy:             clusterv3.Cluster_CLUSTER_PROVIDED,
		ConnectTimeout:       durationpb.New(opts.ConnectTimeout),
	}
}

// inboundCluster reaches the app in its own container. Loopback is outside
// garden-cni's redirect, so the connection does not come back to Envoy.
func inboundCluster(port uint32, opts Options) *clusterv3.Cluster {
	name := InboundClusterName(port)
	return &clusterv3.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		ConnectTimeout:       durationpb.New(opts.ConnectTimeout),
		LoadAssignment: &endpointv3.ClusterLoadAssignment{
			ClusterName: name,
			Endpoints: []*endpointv3.LocalityLbEndpoints{{LbEndpoints: []*endpointv3.LbEndpoint{{
				HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: socketAddress("127.0.0.1", port)}},
			}}}},
		},
	}
}
