package xdsresources

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

// NodeResources are what one proxy gets for itself alone: its listeners
// and the route configurations only it may read (its app's inbound ones).
type NodeResources struct {
	// AppGUID is the app of the instance the node was identified as.
	AppGUID   string
	Listeners map[string]*listenerv3.Listener
	Routes    map[string]*routev3.RouteConfiguration
}

// ErrUnknownWorkload means a node names an instance the mesh config does not
// know (no route registration carries it), or one whose instance GUID and
// container IP belong to different apps.
var ErrUnknownWorkload = errors.New("unknown workload")

// ServerListenerPrefix starts the listener name a proxyless gRPC server
// asks for (grpc-go's default server_listener_resource_name_template).
const ServerListenerPrefix = "grpc/server?xds.resource.listening_address="

// sidecarSet is what building any sidecar's or proxyless server's own
// resources takes; Translate prepares it once per mesh config.
type sidecarSet struct {
	opts            Options
	workloads       envoyir.Workloads
	inbound         map[string]envoyir.InboundApp
	virtualOutbound *listenerv3.Listener
	outbound        map[string]*listenerv3.Listener
	outboundRoutes  map[string]*routev3.RouteConfiguration
}

// appOf identifies the app instance behind a node.
func (s *sidecarSet) appOf(node Node) (envoyir.InboundApp, error) {
	app, ok := s.workloads.AppOf(node.ID, node.IP.String())
	if !ok {
		return envoyir.InboundApp{}, fmt.Errorf("instance %s at %s: %w", node.ID, node.IP, ErrUnknownWorkload)
	}
	in := s.inbound[app]
	in.AppGUID = app
	return in, nil
}

// Sidecar builds a container sidecar's own resources: the virtual outbound
// listener, the outbound listeners and routes of the ports mesh hosts
// serve, and, with mesh mutual TLS, the inbound listeners and routes of
// its app's ports, bound to its container IP.
func (r Resources) Sidecar(node Node) (NodeResources, error) {
	s := r.sidecars
	if s == nil {
		return NodeResources{}, fmt.Errorf("no mesh config translated yet")
	}
	in, err := s.appOf(node)
	if err != nil {
		return NodeResources{}, err
	}
	out := NodeResources{AppGUID: in.AppGUID, Listeners: map[string]*listenerv3.Listener{VirtualOutboundListener: s.virtualOutbound}, Routes: map[string]*routev3.RouteConfiguration{}}
	for name, l := range s.outbound {
		out.Listeners[name] = l
	}
	for name, rc := range s.outboundRoutes {
		out.Routes[name] = rc
	}
	own := NodeResources{Listeners: map[string]*listenerv3.Listener{}, Routes: map[string]*routev3.RouteConfiguration{}}
	for _, port := range in.Ports {
		if !s.opts.Mesh.MTLS {
			break
		}
		if reservedInContainer(port) {
			continue
		}
		l, err := sidecarInboundListener(node.IP.String(), in, port, s.opts)
		if err != nil {
			return NodeResources{}, err
		}
		rc, err := inboundRoutes(in, port, false)
		if err != nil {
			return NodeResources{}, err
		}
		out.Listeners[l.Name], out.Routes[rc.Name] = l, rc
		own.Listeners[l.Name], own.Routes[rc.Name] = l, rc
	}
	return out, validateNode(own) // the shared ones were validated by Translate
}

// ServerListenerAddress reads the address out of a proxyless gRPC server's
// listener name.
func ServerListenerAddress(name string) (netip.AddrPort, bool) {
	address, ok := strings.CutPrefix(name, ServerListenerPrefix)
	if !ok {
		return netip.AddrPort{}, false
	}
	ap, err := netip.ParseAddrPort(address)
	return ap, err == nil
}

// ProxylessServer builds the listener a proxyless gRPC server of the node
// asks for by name, and its inbound routes. The address must be the node's
// own IP: a server is served only its own configuration.
func (r Resources) ProxylessServer(node Node, listenerName string) (NodeResources, error) {
	s := r.sidecars
	if s == nil {
		return NodeResources{}, fmt.Errorf("no mesh config translated yet")
	}
	address, ok := ServerListenerAddress(listenerName)
	if !ok {
		return NodeResources{}, fmt.Errorf("listener %q is not a gRPC server listener name", listenerName)
	}
	if address.Addr().Unmap() != node.IP.Unmap() {
		return NodeResources{}, fmt.Errorf("listener %q is not at the node's own IP %s", listenerName, node.IP)
	}
	in, err := s.appOf(node)
	if err != nil {
		return NodeResources{}, err
	}
	port := uint32(address.Port())
	rc, err := inboundRoutes(in, port, true)
	if err != nil {
		return NodeResources{}, err
	}
	l, err := proxylessServerListener(listenerName, address, rc.Name, s.opts)
	if err != nil {
		return NodeResources{}, err
	}
	out := NodeResources{
		AppGUID:   in.AppGUID,
		Listeners: map[string]*listenerv3.Listener{l.Name: l},
		Routes:    map[string]*routev3.RouteConfiguration{rc.Name: rc},
	}
	return out, validateNode(out)
}

// proxylessServerListener is what grpc-go's xDS server understands: one
// filter chain, mutual TLS through its certificate provider instance when
// the mesh requires it, and the RBAC and router filters.
func proxylessServerListener(name string, address netip.AddrPort, routeName string, opts Options) (*listenerv3.Listener, error) {
	hcm, err := networkFilter(httpConnectionManagerFilter, &hcmv3.HttpConnectionManager{
		StatPrefix:     "inbound_" + address.String(),
		RouteSpecifier: rds(routeName),
		HttpFilters:    []*hcmv3.HttpFilter{rbacFilter, routerFilter},
	})
	if err != nil {
		return nil, err
	}
	chain := &listenerv3.FilterChain{Name: "inbound", Filters: []*listenerv3.Filter{hcm}}
	if opts.Mesh.MTLS {
		provider := &tlsv3.CertificateProviderPluginInstance{InstanceName: opts.Mesh.CertificateProvider}
		downstream, err := toAny(&tlsv3.DownstreamTlsContext{
			RequireClientCertificate: boolValue(true),
			CommonTlsContext: &tlsv3.CommonTlsContext{
				TlsCertificateProviderInstance: provider,
				ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
					CaCertificateProviderInstance: provider,
				}},
			},
		})
		if err != nil {
			return nil, err
		}
		chain.TransportSocket = &corev3.TransportSocket{Name: tlsTransportSocket, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: downstream}}
	}
	return &listenerv3.Listener{
		Name:             name,
		Address:          socketAddress(address.Addr().String(), uint32(address.Port())),
		FilterChains:     []*listenerv3.FilterChain{chain},
		TrafficDirection: corev3.TrafficDirection_INBOUND,
	}, nil
}

func validateNode(n NodeResources) error {
	var errs []error
	for name, l := range n.Listeners {
		if err := l.ValidateAll(); err != nil {
			errs = append(errs, fmt.Errorf("listener %s: %w", name, err))
		}
	}
	for name, rc := range n.Routes {
		if err := rc.ValidateAll(); err != nil {
			errs = append(errs, fmt.Errorf("route configuration %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}
