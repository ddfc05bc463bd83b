package meshconfig

import (
	"fmt"
	"slices"
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
	GatewayHTTPPort uint32 `json:"gateway_http_port,omitempty"`
	// GatewayHTTPSPort is the port of its HTTPS servers.
	GatewayHTTPSPort uint32 `json:"gateway_https_port,omitempty"`
	// FrontendCertificates are the operator's certificates the gateway
	// terminates TLS with; each becomes an HTTPS server for its hosts.
	FrontendCertificates []FrontendCertificate `json:"frontend_certificates,omitempty"`
	// InternalDomains are mesh-only domains: a route on one of them (or a
	// subdomain) is reachable by mesh clients and never through the
	// gateway, whatever Cloud Controller says of its domain.
	InternalDomains []string `json:"internal_domains,omitempty"`
	// ContainerNetwork is the CIDR of the container overlay network (silk's
	// `network`). Callers from outside it (the ingress gateway, gorouter)
	// are routed by routes, not mesh policy; empty admits them nowhere a
	// policy applies.
	ContainerNetwork string `json:"container_network,omitempty"`
}

// Defaults for Options.
const DefaultGatewayHTTPSPort = 443

// DefaultInternalDomains is Cloud Controller's default internal domain.
var DefaultInternalDomains = []string{"apps.internal"}

func (o Options) withDefaults() Options {
	if o.GatewayHTTPPort == 0 {
		o.GatewayHTTPPort = DefaultGatewayHTTPPort
	}
	if o.GatewayHTTPSPort == 0 {
		o.GatewayHTTPSPort = DefaultGatewayHTTPSPort
	}
	if o.InternalDomains == nil {
		o.InternalDomains = DefaultInternalDomains
	}
	return o
}

// internal reports whether a host is on an internal domain.
func (o Options) internal(host string) bool {
	for _, d := range o.InternalDomains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// Compile turns a routing table into mesh configuration. It reports every
// problem: a host whose objects cannot be built is left out, a route
// annotation that cannot be applied is ignored; everything else still
// compiles. It remembers nothing: the copilot uses a Compiler, which gives
// the same result.
func Compile(table routingtable.Table, opts Options) (mesh.Config, []error) {
	return NewCompiler(opts).Compile(table)
}

// Compiler is Compile with a memory of its previous call: a host whose
// routes are Equal to what they were then gets the very objects, versions
// included, built then (issue 8: building and hashing every host's objects
// was most of a build at 100k endpoints).
//
// Concurrency: not safe for concurrent use; the copilot's builder owns one.
type Compiler struct {
	opts Options
	// hosts are the previous call's host objects, by host.
	hosts map[string]compiledHost
}

// compiledHost is what hostObjects made of one host's routes.
type compiledHost struct {
	routes   []routingtable.Route
	internal bool
	objects  []mesh.Resource
	problems []error
	err      error
}

// NewCompiler returns a Compiler with nothing remembered.
func NewCompiler(opts Options) *Compiler {
	return &Compiler{opts: opts.withDefaults(), hosts: map[string]compiledHost{}}
}

// Compile turns a routing table into mesh configuration, as the package's
// Compile does.
func (c *Compiler) Compile(table routingtable.Table) (mesh.Config, []error) {
	opts := c.opts
	enforcing := enforcingHosts(table, opts)
	mutual, errs := mutualServers(opts, enforcing)
	gateway, err := ingressGateway(opts, mutual)
	if err != nil {
		return mesh.Config{}, []error{err}
	}
	resources := []mesh.Resource{gateway}
	gatewayPolicy, err := gatewayRoutePolicies(table, enforcing)
	if err != nil {
		return mesh.Config{}, append(errs, err)
	}
	if gatewayPolicy != nil {
		resources = append(resources, *gatewayPolicy)
	}
	sidecar, err := sidecarScope(opts)
	if err != nil {
		return mesh.Config{}, []error{err}
	}
	resources = append(resources, sidecar)
	objects, problems := c.compileHosts(table.Routes)
	resources = append(resources, objects...)
	errs = append(errs, problems...)
	policies, problems := authorizationPolicies(table, opts)
	resources = append(resources, policies...)
	errs = append(errs, problems...)
	cfg, err := mesh.NewConfig(resources)
	if err != nil {
		return mesh.Config{}, append(errs, err)
	}
	return cfg, errs
}

// compileHosts builds every host's objects, reusing what an unchanged
// host got last time, and remembers them for the next call.
func (c *Compiler) compileHosts(routes []routingtable.Route) ([]mesh.Resource, []error) {
	var objects []mesh.Resource
	var errs []error
	hosts := make(map[string]compiledHost, len(c.hosts))
	for _, group := range groupByHost(routes) {
		host := c.compileHost(group)
		hosts[group[0].Host] = host
		errs = append(errs, host.problems...)
		if host.err != nil {
			errs = append(errs, fmt.Errorf("host %s dropped: %w", group[0].Host, host.err))
			continue
		}
		objects = append(objects, host.objects...)
	}
	c.hosts = hosts
	return objects, errs
}

// compileHost is hostObjects, or what it gave for Equal routes last time.
func (c *Compiler) compileHost(routes []routingtable.Route) compiledHost {
	internal := routes[0].Internal || c.opts.internal(routes[0].Host)
	if prev, ok := c.hosts[routes[0].Host]; ok && prev.internal == internal && slices.EqualFunc(prev.routes, routes, routingtable.Route.Equal) {
		// Remember this table's routes, not the equal ones of an older
		// table: the routing table shares one endpoint array between all
		// its routes, so keeping old routes kept every old table alive.
		prev.routes = routes
		return prev
	}
	objects, problems, err := hostObjects(routes, internal)
	return compiledHost{routes: routes, internal: internal, objects: objects, problems: problems, err: err}
}

// ingressGateway serves HTTP for every host and HTTPS for the hosts of each
// frontend certificate (the pilot finds the certificate by
// credentialName), and mutual TLS for the hosts that enforce route
// policies.
func ingressGateway(opts Options, mutual []*networking.Server) (mesh.Resource, error) {
	spec := &networking.Gateway{
		Selector: gatewaySelector(),
		Servers: []*networking.Server{{
			Port:  &networking.Port{Number: opts.GatewayHTTPPort, Name: "http", Protocol: "HTTP"},
			Hosts: []string{"*"},
		}},
	}
	for _, c := range opts.FrontendCertificates {
		spec.Servers = append(spec.Servers, &networking.Server{
			Port:  &networking.Port{Number: opts.GatewayHTTPSPort, Name: "https-" + c.Name, Protocol: "HTTPS"},
			Hosts: c.Hosts,
			Tls: &networking.ServerTLSSettings{
				Mode:               networking.ServerTLSSettings_SIMPLE,
				CredentialName:     c.Name,
				MinProtocolVersion: networking.ServerTLSSettings_TLSV1_2,
			},
		})
	}
	spec.Servers = append(spec.Servers, mutual...)
	return mesh.NewResource(mesh.KindGateway, mesh.Namespace, IngressGatewayName, spec, nil, nil)
}

// SidecarScopeName names the Sidecar object that scopes what container
// sidecars see.
const SidecarScopeName = "default"

// sidecarScope limits what a container's sidecar is configured to reach to
// the internal domains: external routes are reached through the ingress
// gateway (their names resolve to its load balancer), so configuring them
// in every container would only cost memory.
func sidecarScope(opts Options) (mesh.Resource, error) {
	var hosts []string
	for _, d := range opts.InternalDomains {
		hosts = append(hosts, "*/"+d, "*/*."+d)
	}
	spec := &networking.Sidecar{Egress: []*networking.IstioEgressListener{{Hosts: hosts}}}
	return mesh.NewResource(mesh.KindSidecar, mesh.Namespace, SidecarScopeName, spec, nil, nil)
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

// hostObjects builds one host's VirtualService, DestinationRule and
// ServiceEntry. Problems with a route's policy are returned beside the
// objects; an error means the host could not be built at all.
func hostObjects(routes []routingtable.Route, internal bool) ([]mesh.Resource, []error, error) {
	host := routes[0].Host
	spec, annotations, problems := virtualService(routes, internal)
	vs, err := mesh.NewResource(mesh.KindVirtualService, mesh.Namespace, objectName("service", host), spec, nil, annotations)
	if err != nil {
		return nil, problems, err
	}
	dr, err := mesh.NewResource(mesh.KindDestinationRule, mesh.Namespace, objectName("rule", host), destinationRule(routes), nil, nil)
	if err != nil {
		return nil, problems, err
	}
	se, err := mesh.NewResource(mesh.KindServiceEntry, mesh.Namespace, objectName("service-entry", host), serviceEntry(routes), nil, nil)
	if err != nil {
		return nil, problems, err
	}
	return []mesh.Resource{vs, dr, se}, problems, nil
}

// HostObjects are the VirtualService, DestinationRule and ServiceEntry
// Compile gives each of hosts, built from routes (those hosts' routes,
// grouped by host as a routing table is) alone, and the keys of those
// objects for the hosts routes have none for, which Compile gives no
// objects: the copilot's endpoints-first publish (ADR 20). A host that
// cannot be built is in neither; Compile reports it.
func (c *Compiler) HostObjects(hosts []string, routes []routingtable.Route) (objects, gone []mesh.Resource) {
	built := map[string]bool{}
	for _, group := range groupByHost(routes) {
		host := group[0].Host
		built[host] = true
		if list, _, err := hostObjects(group, group[0].Internal || c.opts.internal(host)); err == nil {
			objects = append(objects, list...)
		}
	}
	for _, host := range hosts {
		if built[host] {
			continue
		}
		gone = append(gone,
			mesh.Resource{Kind: mesh.KindVirtualService, Namespace: mesh.Namespace, Name: objectName("service", host)},
			mesh.Resource{Kind: mesh.KindDestinationRule, Namespace: mesh.Namespace, Name: objectName("rule", host)},
			mesh.Resource{Kind: mesh.KindServiceEntry, Namespace: mesh.Namespace, Name: objectName("service-entry", host)})
	}
	return objects, gone
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
