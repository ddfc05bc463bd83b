package meshconfig

import (
	"fmt"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
)

const (
	// IngressGatewayName names the Gateway every external route binds to.
	IngressGatewayName = "cloudfoundry-ingress"
	// MeshGateway is Istio's reserved gateway name for mesh clients
	// (sidecars and proxyless gRPC).
	MeshGateway = "mesh"
	// SubsetLabel labels endpoints with their destination key; each
	// DestinationRule subset selects on it.
	SubsetLabel = "cfapp"
	// DefaultGatewayHTTPPort is the ingress gateway's HTTP port.
	DefaultGatewayHTTPPort = 80
)

// Options tune the compilation.
type Options struct {
	// GatewayHTTPPort is the port of the ingress gateway's HTTP server.
	GatewayHTTPPort uint32
}

func (o Options) withDefaults() Options {
	if o.GatewayHTTPPort == 0 {
		o.GatewayHTTPPort = DefaultGatewayHTTPPort
	}
	return o
}

// Compile turns a routing table into mesh configuration. It reports every
// problem: a host whose objects cannot be built is left out, an endpoint
// that cannot be served yet is left out of its host; everything else still
// compiles.
func Compile(table routingtable.Table, opts Options) (mesh.Config, []error) {
	opts = opts.withDefaults()
	gateway, err := ingressGateway(opts)
	if err != nil {
		return mesh.Config{}, []error{err}
	}
	resources := []mesh.Resource{gateway}
	var errs []error
	for _, group := range groupByHost(table.Routes) {
		errs = append(errs, unservedEndpoints(group)...)
		objects, err := hostObjects(group)
		if err != nil {
			errs = append(errs, fmt.Errorf("host %s dropped: %w", group[0].Host, err))
			continue
		}
		resources = append(resources, objects...)
	}
	cfg, err := mesh.NewConfig(resources)
	if err != nil {
		return mesh.Config{}, append(errs, err)
	}
	return cfg, errs
}

func ingressGateway(opts Options) (mesh.Resource, error) {
	spec := &networking.Gateway{
		Selector: map[string]string{"istio": "ingressgateway"},
		Servers: []*networking.Server{{
			Port:  &networking.Port{Number: opts.GatewayHTTPPort, Name: "http", Protocol: "HTTP"},
			Hosts: []string{"*"},
		}},
	}
	return mesh.NewResource(mesh.KindGateway, mesh.Namespace, IngressGatewayName, spec, nil, nil)
}

// groupByHost splits a sorted table into runs of routes sharing a host.
func groupByHost(routes []routingtable.Route) [][]routingtable.Route {
	var groups [][]routingtable.Route
	for i := 0; i < len(routes); {
		j := i + 1
		for j < len(routes) && routes[j].Host == routes[i].Host {
			j++
		}
		groups = append(groups, routes[i:j])
		i = j
	}
	return groups
}

func hostObjects(routes []routingtable.Route) ([]mesh.Resource, error) {
	host := routes[0].Host
	vs, err := mesh.NewResource(mesh.KindVirtualService, mesh.Namespace, objectName("service", host), virtualService(routes), nil, nil)
	if err != nil {
		return nil, err
	}
	dr, err := mesh.NewResource(mesh.KindDestinationRule, mesh.Namespace, objectName("rule", host), destinationRule(routes), nil, nil)
	if err != nil {
		return nil, err
	}
	se, err := mesh.NewResource(mesh.KindServiceEntry, mesh.Namespace, objectName("service-entry", host), serviceEntry(routes), nil, nil)
	if err != nil {
		return nil, err
	}
	return []mesh.Resource{vs, dr, se}, nil
}

// objectName is `copilot-<what>-for-<host>`, or
// `copilot-wildcard-<what>-for-<domain>` for `*.<domain>`.
func objectName(what, host string) string {
	if domain, ok := strings.CutPrefix(host, "*."); ok {
		return "copilot-wildcard-" + what + "-for-" + domain
	}
	return "copilot-" + what + "-for-" + host
}

func portName(port uint32) string {
	return fmt.Sprintf("http-%d", port)
}

// unservedEndpoints reports endpoints that registered only a TLS port: the
// gateway's TLS upstreams (route integrity) are not built yet, and sending
// plaintext to a TLS port would fail every request.
func unservedEndpoints(routes []routingtable.Route) []error {
	var errs []error
	for _, r := range routes {
		for _, d := range r.Destinations {
			for _, e := range d.Endpoints {
				if e.Port == 0 {
					errs = append(errs, fmt.Errorf("host %s: endpoint %s registered only tls_port %d, which is not served yet (no plaintext port)", r.Host, e.Address, e.TLSPort))
				}
			}
		}
	}
	return errs
}
