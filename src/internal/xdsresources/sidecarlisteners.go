package xdsresources

import (
	"fmt"
	"strconv"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	httpinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/http_inspector/v3"
	originaldstv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/original_dst/v3"
	tlsinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	rbacnetworkv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

// Sidecar resource names (Istio's, design.md decision 5).
const (
	VirtualOutboundListener = "virtualOutbound"
	PassthroughCluster      = "PassthroughCluster"
)

// Listener filters and network filters sidecars use.
var (
	originalDstFilter   = listenerFilter("envoy.filters.listener.original_dst", &originaldstv3.OriginalDst{})
	httpInspectorFilter = listenerFilter("envoy.filters.listener.http_inspector", &httpinspectorv3.HttpInspector{})
	tlsInspector        = listenerFilter(tlsInspectorFilter, &tlsinspectorv3.TlsInspector{})
	// httpProtocols are what http_inspector reports for plain HTTP.
	httpProtocols = []string{"http/1.0", "http/1.1", "h2c"}
)

func listenerFilter(name string, config proto.Message) *listenerv3.ListenerFilter {
	typed, _ := toAny(config)
	return &listenerv3.ListenerFilter{Name: name, ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: typed}}
}

func networkFilter(name string, config proto.Message) (*listenerv3.Filter, error) {
	typed, err := toAny(config)
	if err != nil {
		return nil, err
	}
	return &listenerv3.Filter{Name: name, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: typed}}, nil
}

// SidecarOutboundRouteName is the route configuration of a sidecar's
// outbound listener for a port: the port number, as Istio names it.
func SidecarOutboundRouteName(port uint32) string {
	return strconv.FormatUint(uint64(port), 10)
}

// InboundRouteName is the route configuration of an app's inbound port.
func InboundRouteName(port uint32, app string) string {
	return fmt.Sprintf("inbound|%d|%s", port, app)
}

// InboundClusterName reaches the app in its own container on a port.
func InboundClusterName(port uint32) string {
	return fmt.Sprintf("inbound|%d||", port)
}

// virtualOutboundListener receives everything garden-cni redirects to
// 15001 and hands each connection to the listener of its original
// destination; a connection no listener claims passes through untouched.
func virtualOutboundListener() (*listenerv3.Listener, error) {
	chain, err := passthroughChain("virtualOutbound-catchall-tcp")
	if err != nil {
		return nil, err
	}
	return &listenerv3.Listener{
		Name:             VirtualOutboundListener,
		Address:          socketAddress("0.0.0.0", VirtualOutboundPort),
		UseOriginalDst:   boolValue(true),
		ListenerFilters:  []*listenerv3.ListenerFilter{originalDstFilter},
		FilterChains:     []*listenerv3.FilterChain{chain},
		TrafficDirection: corev3.TrafficDirection_OUTBOUND,
	}, nil
}

func passthroughChain(name string) (*listenerv3.FilterChain, error) {
	tcp, err := networkFilter("envoy.filters.network.tcp_proxy", &tcpproxyv3.TcpProxy{
		StatPrefix:       PassthroughCluster,
		ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: PassthroughCluster},
	})
	if err != nil {
		return nil, err
	}
	return &listenerv3.FilterChain{Name: name, Filters: []*listenerv3.Filter{tcp}}, nil
}

// sidecarOutboundListener takes the connections handed off for a port of
// another container: HTTP goes through the mesh routes of that port, any
// other protocol passes through.
func sidecarOutboundListener(port uint32, opts Options) (*listenerv3.Listener, error) {
	name := GatewayListenerName("0.0.0.0", port)
	manager := &hcmv3.HttpConnectionManager{
		StatPrefix:     "outbound_" + name,
		CodecType:      hcmv3.HttpConnectionManager_AUTO,
		RouteSpecifier: rds(SidecarOutboundRouteName(port)),
		HttpFilters:    []*hcmv3.HttpFilter{faultFilter, localRateLimitFilter, instanceIndexFilter, routerFilter},
		UpgradeConfigs: []*hcmv3.HttpConnectionManager_UpgradeConfig{{UpgradeType: "websocket"}},
	}
	if opts.Mesh.AccessLogPath != "" {
		manager.AccessLog = accessLogs(Options{AccessLogPath: opts.Mesh.AccessLogPath})
	}
	hcm, err := networkFilter(httpConnectionManagerFilter, manager)
	if err != nil {
		return nil, err
	}
	passthrough, err := passthroughChain("passthrough-tcp")
	if err != nil {
		return nil, err
	}
	return &listenerv3.Listener{
		Name:            name,
		Address:         socketAddress("0.0.0.0", port),
		BindToPort:      boolValue(false),
		ListenerFilters: []*listenerv3.ListenerFilter{httpInspectorFilter},
		FilterChains: []*listenerv3.FilterChain{{
			Name:             "outbound-http",
			FilterChainMatch: &listenerv3.FilterChainMatch{ApplicationProtocols: httpProtocols},
			Filters:          []*listenerv3.Filter{hcm},
		}},
		DefaultFilterChain: passthrough,
		TrafficDirection:   corev3.TrafficDirection_OUTBOUND,
	}, nil
}

// sidecarInboundListener takes the connections handed off for one of the
// container's own ports. Mutual TLS from mesh callers terminates with the
// c2c certificate (its SANs are the app's internal routes), requires an
// instance identity signed by the instance identity CA, and runs the app's
// authorization per request; plain connections (the ingress gateway or
// gorouter without a TLS port, or a caller outside the mesh) are admitted
// only as far as the authorization admits callers without an identity.
func sidecarInboundListener(ip string, in envoyir.InboundApp, port uint32, opts Options) (*listenerv3.Listener, error) {
	mtls, err := inboundMTLSChain(in, port, opts)
	if err != nil {
		return nil, err
	}
	plainHTTP, err := inboundHTTPChain("inbound-plaintext-http", in, port)
	if err != nil {
		return nil, err
	}
	plainHTTP.FilterChainMatch = &listenerv3.FilterChainMatch{TransportProtocol: "raw_buffer", ApplicationProtocols: httpProtocols}
	plainTCP, err := inboundTCPChain(in, port)
	if err != nil {
		return nil, err
	}
	return &listenerv3.Listener{
		Name:               GatewayListenerName(ip, port),
		Address:            socketAddress(ip, port),
		BindToPort:         boolValue(false),
		ListenerFilters:    []*listenerv3.ListenerFilter{tlsInspector, httpInspectorFilter},
		FilterChains:       []*listenerv3.FilterChain{mtls, plainHTTP},
		DefaultFilterChain: plainTCP,
		TrafficDirection:   corev3.TrafficDirection_INBOUND,
	}, nil
}

func inboundMTLSChain(in envoyir.InboundApp, port uint32, opts Options) (*listenerv3.FilterChain, error) {
	chain, err := inboundHTTPChain("inbound-mtls", in, port)
	if err != nil {
		return nil, err
	}
	downstream, err := toAny(&tlsv3.DownstreamTlsContext{
		RequireClientCertificate: boolValue(true),
		CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsParams:                      &tlsv3.TlsParameters{TlsMinimumProtocolVersion: tlsv3.TlsParameters_TLSv1_2},
			TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{containerSecret(C2CSecret, opts.Mesh)},
			ValidationContextType:          &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: identityCA(opts.Mesh)},
			AlpnProtocols:                  []string{"h2", "http/1.1"},
		},
	})
	if err != nil {
		return nil, err
	}
	chain.FilterChainMatch = &listenerv3.FilterChainMatch{TransportProtocol: "tls"}
	chain.TransportSocket = &corev3.TransportSocket{Name: tlsTransportSocket, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: downstream}}
	return chain, nil
}

// inboundHTTPChain hands requests to the app through the inbound route
// configuration, which carries the app's authorization, and tells the app
// who called (x-forwarded-client-cert, set by Envoy only).
func inboundHTTPChain(name string, in envoyir.InboundApp, port uint32) (*listenerv3.FilterChain, error) {
	hcm, err := networkFilter(httpConnectionManagerFilter, &hcmv3.HttpConnectionManager{
		StatPrefix:               "inbound_" + strconv.FormatUint(uint64(port), 10),
		CodecType:                hcmv3.HttpConnectionManager_AUTO,
		RouteSpecifier:           rds(InboundRouteName(port, in.AppGUID)),
		HttpFilters:              []*hcmv3.HttpFilter{rbacFilter, routerFilter},
		ForwardClientCertDetails: hcmv3.HttpConnectionManager_SANITIZE_SET,
		SetCurrentClientCertDetails: &hcmv3.HttpConnectionManager_SetCurrentClientCertDetails{
			Subject: boolValue(true), Uri: true, Dns: true,
		},
		UpgradeConfigs: []*hcmv3.HttpConnectionManager_UpgradeConfig{{UpgradeType: "websocket"}},
	})
	if err != nil {
		return nil, err
	}
	return &listenerv3.FilterChain{Name: name, Filters: []*listenerv3.Filter{hcm}}, nil
}

// inboundTCPChain passes plain non-HTTP connections to the app under the
// app's authorization, whose HTTP-only conditions never match a
// connection: only rules without them (callers outside the container
// network) admit one.
func inboundTCPChain(in envoyir.InboundApp, port uint32) (*listenerv3.FilterChain, error) {
	var filters []*listenerv3.Filter
	if in.Authorization != nil {
		rbac, err := networkFilter("envoy.filters.network.rbac", &rbacnetworkv3.RBAC{
			StatPrefix: "inbound_tcp_" + strconv.FormatUint(uint64(port), 10),
			Rules:      connectionRBACRules(in.Authorization),
		})
		if err != nil {
			return nil, err
		}
		filters = append(filters, rbac)
	}
	tcp, err := networkFilter("envoy.filters.network.tcp_proxy", &tcpproxyv3.TcpProxy{
		StatPrefix:       InboundClusterName(port),
		ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: InboundClusterName(port)},
	})
	if err != nil {
		return nil, err
	}
	return &listenerv3.FilterChain{Name: "inbound-plaintext-tcp", Filters: append(filters, tcp)}, nil
}
