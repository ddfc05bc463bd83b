package gatewaybootstrap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// XDSClusterName names the bootstrap's static cluster of pilots.
const XDSClusterName = "pilot-xds"

// Options describe one gateway.
type Options struct {
	// NodeIP and NodeID make the node id `router~<ip>~<id>~<domain>`.
	NodeIP, NodeID, NodeDomain string
	// Pilots are the pilots' xDS addresses, host:port.
	Pilots []string
	// AdminAddress is the admin listener, host:port; keep it on loopback.
	AdminAddress string
}

// Build returns the bootstrap, validated.
func Build(o Options) (*bootstrapv3.Bootstrap, error) {
	if o.NodeIP == "" || o.NodeID == "" || len(o.Pilots) == 0 || o.AdminAddress == "" {
		return nil, errors.New("gateway bootstrap: node ip, node id, admin address and at least one pilot are required")
	}
	if o.NodeDomain == "" {
		o.NodeDomain = "cf.internal"
	}
	xds, err := xdsCluster(o.Pilots)
	if err != nil {
		return nil, err
	}
	admin, err := socketAddress(o.AdminAddress)
	if err != nil {
		return nil, fmt.Errorf("admin address: %w", err)
	}
	ads := &corev3.ConfigSource{
		ResourceApiVersion:    corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
	}
	b := &bootstrapv3.Bootstrap{
		Node:             &corev3.Node{Id: fmt.Sprintf("router~%s~%s~%s", o.NodeIP, o.NodeID, o.NodeDomain), Cluster: "cf-mesh-gateway"},
		Admin:            &bootstrapv3.Admin{Address: admin},
		StaticResources:  &bootstrapv3.Bootstrap_StaticResources{Clusters: []*clusterv3.Cluster{xds}},
		DynamicResources: &bootstrapv3.Bootstrap_DynamicResources{LdsConfig: ads, CdsConfig: ads, AdsConfig: adsAPI()},
	}
	if err := b.ValidateAll(); err != nil {
		return nil, fmt.Errorf("gateway bootstrap: %w", err)
	}
	return b, nil
}

// JSON renders a bootstrap as Envoy reads it, indented and byte-stable
// (protojson varies its whitespace between builds on purpose).
func JSON(b *bootstrapv3.Bootstrap) ([]byte, error) {
	raw, err := protojson.Marshal(b)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func adsAPI() *corev3.ApiConfigSource {
	return &corev3.ApiConfigSource{
		ApiType:             corev3.ApiConfigSource_GRPC,
		TransportApiVersion: corev3.ApiVersion_V3,
		GrpcServices: []*corev3.GrpcService{{
			TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{ClusterName: XDSClusterName}},
		}},
	}
}

// xdsCluster lists every pilot in one static HTTP/2 cluster.
func xdsCluster(pilots []string) (*clusterv3.Cluster, error) {
	la := &endpointv3.LocalityLbEndpoints{}
	for _, p := range pilots {
		addr, err := socketAddress(p)
		if err != nil {
			return nil, fmt.Errorf("pilot address: %w", err)
		}
		la.LbEndpoints = append(la.LbEndpoints, &endpointv3.LbEndpoint{
			HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: addr}},
		})
	}
	h2, err := anypb.New(&httpv3.HttpProtocolOptions{
		UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}},
		}},
	})
	if err != nil {
		return nil, err
	}
	return &clusterv3.Cluster{
		Name:                          XDSClusterName,
		ClusterDiscoveryType:          &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		ConnectTimeout:                durationpb.New(250 * time.Millisecond),
		LoadAssignment:                &endpointv3.ClusterLoadAssignment{ClusterName: XDSClusterName, Endpoints: []*endpointv3.LocalityLbEndpoints{la}},
		TypedExtensionProtocolOptions: map[string]*anypb.Any{"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": h2},
	}, nil
}

func socketAddress(hostPort string) (*corev3.Address, error) {
	ap, err := netip.ParseAddrPort(hostPort)
	if err != nil {
		return nil, fmt.Errorf("%q is not ip:port", hostPort)
	}
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address: ap.Addr().String(), PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(ap.Port())},
	}}}, nil
}
