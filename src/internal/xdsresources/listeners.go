package xdsresources

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

// Well-known Envoy extension names.
const (
	httpConnectionManagerFilter = "envoy.filters.network.http_connection_manager"
	tlsInspectorFilter          = "envoy.filters.listener.tls_inspector"
	tlsTransportSocket          = "envoy.transport_sockets.tls"
)

// GatewayListenerName is Istio's gateway listener name, `<bind>_<port>`.
func GatewayListenerName(bind string, port uint32) string {
	return fmt.Sprintf("%s_%d", bind, port)
}

// MeshRouteName is the route configuration a mesh client's listener for
// host:port uses, `outbound|<port>||<host>`.
func MeshRouteName(host string, port uint32) string {
	return fmt.Sprintf("outbound|%d||%s", port, host)
}

// gatewayListener serves one gateway port: one filter chain for plain HTTP,
// or one per HTTPS server, chosen by SNI and presenting that server's
// certificate from its SDS file.
func gatewayListener(l envoyir.GatewayListener, opts Options) (*listenerv3.Listener, error) {
	name := GatewayListenerName(opts.GatewayBindAddress, l.Port)
	out := &listenerv3.Listener{Name: name, Address: socketAddress(opts.GatewayBindAddress, l.Port)}
	for _, s := range l.Servers {
		chain, err := gatewayFilterChain(s, "outbound_"+name, opts)
		if err != nil {
			return nil, err
		}
		out.FilterChains = append(out.FilterChains, chain)
	}
	if len(l.Servers) > 0 && l.Servers[0].TLS != nil {
		inspector, err := toAny(&tlsinspectorv3.TlsInspector{})
		if err != nil {
			return nil, err
		}
		out.ListenerFilters = []*listenerv3.ListenerFilter{{
			Name:       tlsInspectorFilter,
			ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: inspector},
		}}
	}
	return out, nil
}

func gatewayFilterChain(s envoyir.GatewayServer, statPrefix string, opts Options) (*listenerv3.FilterChain, error) {
	hcm, err := toAny(gatewayConnectionManager(s.RouteName, statPrefix, opts))
	if err != nil {
		return nil, err
	}
	chain := &listenerv3.FilterChain{
		Name: s.RouteName,
		Filters: []*listenerv3.Filter{{
			Name:       httpConnectionManagerFilter,
			ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: hcm},
		}},
	}
	if s.TLS == nil {
		return chain, nil
	}
	context := &tlsv3.DownstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
		TlsParams:                      &tlsv3.TlsParameters{TlsMinimumProtocolVersion: tlsv3.TlsParameters_TLSv1_2},
		TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{fileSecret(s.TLS.SecretName, opts)},
		AlpnProtocols:                  []string{"h2", "http/1.1"},
	}}
	if s.TLS.RequireClientCertificate {
		// Callers present their instance identity (RFC-0055 mTLS domains),
		// verified against the instance identity CA the gateway also uses
		// to verify container proxies.
		context.RequireClientCertificate = boolValue(true)
		context.CommonTlsContext.ValidationContextType = &tlsv3.CommonTlsContext_ValidationContextSdsSecretConfig{
			ValidationContextSdsSecretConfig: fileSecret(opts.UpstreamCASecret, opts),
		}
	}
	downstream, err := toAny(context)
	if err != nil {
		return nil, err
	}
	chain.FilterChainMatch = &listenerv3.FilterChainMatch{ServerNames: s.TLS.ServerNames}
	chain.TransportSocket = &corev3.TransportSocket{
		Name:       tlsTransportSocket,
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: downstream},
	}
	return chain, nil
}

// gatewayConnectionManager is the edge's HTTP connection manager: Envoy
// adds x-forwarded-for and x-forwarded-proto as gorouter does, generates an
// x-request-id, passes trace headers through, upgrades websockets, logs
// every request and, when configured, traces. It replaces any
// x-forwarded-client-cert a client sends with the identity it presented
// (gorouter's sanitize_set), and enforces route policies where a policy
// selects the gateways.
func gatewayConnectionManager(routeName, statPrefix string, opts Options) *hcmv3.HttpConnectionManager {
	return &hcmv3.HttpConnectionManager{
		StatPrefix:               statPrefix,
		CodecType:                hcmv3.HttpConnectionManager_AUTO,
		RouteSpecifier:           rds(routeName),
		HttpFilters:              []*hcmv3.HttpFilter{rbacFilter, faultFilter, localRateLimitFilter, routerFilter},
		ForwardClientCertDetails: hcmv3.HttpConnectionManager_SANITIZE_SET,
		SetCurrentClientCertDetails: &hcmv3.HttpConnectionManager_SetCurrentClientCertDetails{
			Subject: boolValue(true), Uri: true, Dns: true,
		},
		StripPortMode:     &hcmv3.HttpConnectionManager_StripAnyHostPort{StripAnyHostPort: true},
		UseRemoteAddress:  boolValue(true),
		GenerateRequestId: boolValue(true),
		UpgradeConfigs:    []*hcmv3.HttpConnectionManager_UpgradeConfig{{UpgradeType: "websocket"}},
		AccessLog:         accessLogs(opts),
		Tracing:           tracing(opts.Tracing),
	}
}

// meshListeners are the API listeners a proxyless gRPC client asks for when
// it dials `xds:///<host>` or `xds:///<host>:<port>`. Wildcard hosts cannot
// be dialled and get none.
func meshListeners(h envoyir.VirtualHost) ([]*listenerv3.Listener, error) {
	if isWildcard(h.Name) {
		return nil, nil
	}
	names := map[string]uint32{h.Name: defaultPort(h)}
	for _, port := range h.ServicePorts {
		names[fmt.Sprintf("%s:%d", h.Name, port)] = port
	}
	var listeners []*listenerv3.Listener
	for name, port := range names {
		l, err := apiListener(name, MeshRouteName(h.Name, port))
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
	}
	return listeners, nil
}

// apiListener carries only the HTTP filters gRPC implements (fault and
// router): gRPC refuses a listener with a filter it does not know.
func apiListener(name, routeName string) (*listenerv3.Listener, error) {
	hcm, err := toAny(&hcmv3.HttpConnectionManager{
		StatPrefix:     name,
		RouteSpecifier: rds(routeName),
		HttpFilters:    []*hcmv3.HttpFilter{faultFilter, routerFilter},
	})
	if err != nil {
		return nil, err
	}
	return &listenerv3.Listener{
		Name:        name,
		ApiListener: &listenerv3.ApiListener{ApiListener: hcm},
	}, nil
}

// defaultPort is the port a client dialling the bare host reaches: the
// lowest service port, or 80 when the host has none.
func defaultPort(h envoyir.VirtualHost) uint32 {
	if len(h.ServicePorts) == 0 {
		return 80
	}
	return h.ServicePorts[0]
}

func rds(name string) *hcmv3.HttpConnectionManager_Rds {
	return &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
		RouteConfigName: name,
		ConfigSource:    adsConfigSource(),
	}}
}

func adsConfigSource() *corev3.ConfigSource {
	return &corev3.ConfigSource{
		ResourceApiVersion:    corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
	}
}

func socketAddress(address string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address:       address,
		PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}

func isWildcard(host string) bool {
	return len(host) > 0 && host[0] == '*'
}
