package gatewaybootstrap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// XDSClusterName names the bootstrap's static cluster of pilots.
const XDSClusterName = "pilot-xds"

// Options describe one gateway.
type Options struct {
	// NodeIP and NodeID make the node id `router~<ip>~<id>~<domain>`.
	NodeIP, NodeID, NodeDomain string
	// Pilots are the pilots' xDS addresses, ip:port.
	Pilots []string
	// PilotTLS, when set, makes the xDS connection mutual TLS.
	PilotTLS *PilotTLS
	// AdminAddress is the admin listener, ip:port; keep it on loopback.
	AdminAddress string
	// HealthCheckAddress, when set, serves `/health` for load balancers:
	// 200 while the gateway serves, 503 once it drains.
	HealthCheckAddress string
	// Tracing, when set, defines the collector cluster the pilot's
	// listeners send spans to.
	Tracing *TracingCollector
}

// PilotTLS is the gateway's side of the xDS mutual TLS, read from SDS
// files in SecretsDirectory (see SecretFile): the pilot never handles the
// gateway's key.
type PilotTLS struct {
	SecretsDirectory string
	// ClientSecret is the gateway's certificate and key; CASecret verifies
	// the pilots, whose certificate must carry ServerName as a DNS SAN.
	ClientSecret, CASecret, ServerName string
}

// TracingCollector is where spans go: a Zipkin (HTTP) or OpenTelemetry
// (gRPC) collector.
type TracingCollector struct {
	// Cluster names the static cluster; the pilot's gateway.tracing
	// collector_cluster must name the same.
	Cluster string
	// Address is the collector's ip:port.
	Address string
	// GRPC is true for an OpenTelemetry collector.
	GRPC bool
}

// Build returns the bootstrap, validated.
func Build(o Options) (*bootstrapv3.Bootstrap, error) {
	if o.NodeIP == "" || o.NodeID == "" || len(o.Pilots) == 0 || o.AdminAddress == "" {
		return nil, errors.New("gateway bootstrap: node ip, node id, admin address and at least one pilot are required")
	}
	if o.NodeDomain == "" {
		o.NodeDomain = "cf.internal"
	}
	xds, err := xdsCluster(o.Pilots, o.PilotTLS)
	if err != nil {
		return nil, err
	}
	static := &bootstrapv3.Bootstrap_StaticResources{Clusters: []*clusterv3.Cluster{xds}}
	if err := addTracing(static, o.Tracing); err != nil {
		return nil, err
	}
	if err := addHealthCheck(static, o.HealthCheckAddress); err != nil {
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
		StaticResources:  static,
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
	return marshalStable(b)
}

func marshalStable(m proto.Message) ([]byte, error) {
	raw, err := protojson.Marshal(m)
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

func socketAddress(hostPort string) (*corev3.Address, error) {
	ap, err := netip.ParseAddrPort(hostPort)
	if err != nil {
		return nil, fmt.Errorf("%q is not ip:port", hostPort)
	}
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address: ap.Addr().String(), PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(ap.Port())},
	}}}, nil
}
