package xdsresources

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

// Well-known Envoy extension names.
const (
	httpConnectionManagerFilter = "envoy.filters.network.http_connection_manager"
)

// GatewayListenerName is Istio's gateway listener name, `<bind>_<port>`.
func GatewayListenerName(bind string, port uint32) string {
	return fmt.Sprintf("%s_%d", bind, port)
}

// GatewayRouteName is Istio's gateway HTTP route configuration name.
func GatewayRouteName(port uint32) string {
	return fmt.Sprintf("http.%d", port)
}

// MeshRouteName is the route configuration a mesh client's listener for
// host:port uses, `outbound|<port>||<host>`.
func MeshRouteName(host string, port uint32) string {
	return fmt.Sprintf("outbound|%d||%s", port, host)
}

func gatewayListener(l envoyir.HTTPListener, opts Options) (*listenerv3.Listener, error) {
	name := GatewayListenerName(opts.GatewayBindAddress, l.Port)
	hcm, err := anypb.New(&hcmv3.HttpConnectionManager{
		StatPrefix:        "outbound_" + name,
		CodecType:         hcmv3.HttpConnectionManager_AUTO,
		RouteSpecifier:    rds(GatewayRouteName(l.Port)),
		HttpFilters:       []*hcmv3.HttpFilter{routerFilter},
		StripPortMode:     &hcmv3.HttpConnectionManager_StripAnyHostPort{StripAnyHostPort: true},
		UseRemoteAddress:  wrapperspb.Bool(true),
		GenerateRequestId: wrapperspb.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	return &listenerv3.Listener{
		Name:    name,
		Address: socketAddress(opts.GatewayBindAddress, l.Port),
		FilterChains: []*listenerv3.FilterChain{{
			Filters: []*listenerv3.Filter{{
				Name:       httpConnectionManagerFilter,
				ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: hcm},
			}},
		}},
	}, nil
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

func apiListener(name, routeName string) (*listenerv3.Listener, error) {
	hcm, err := anypb.New(&hcmv3.HttpConnectionManager{
		StatPrefix:     name,
		RouteSpecifier: rds(routeName),
		HttpFilters:    []*hcmv3.HttpFilter{routerFilter},
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

// routerFilter is the HTTP router, the last (here only) HTTP filter.
var routerFilter = &hcmv3.HttpFilter{
	Name:       "envoy.filters.http.router",
	ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: routerConfig()},
}

// routerConfig packs the empty Router config; an empty generated message
// always marshals, so there is no error to return.
func routerConfig() *anypb.Any {
	a, _ := anypb.New(&routerv3.Router{})
	return a
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
