package envoyir

import (
	"fmt"
	"sort"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// gatewayPort collects one port's servers of one Gateway.
type gatewayPort struct {
	port    uint32
	tls     bool
	servers map[string]*gatewayServer // by route name
}

// gatewayServer is a server under construction, with the hosts it accepts.
type gatewayServer struct {
	GatewayServer
	hosts []string
}

func (t *translation) indexGateways(resources []mesh.Resource) {
	for _, r := range resources {
		t.gatewayLabels = append(t.gatewayLabels, r.Spec.(*networking.Gateway).GetSelector())
		ports := map[uint32]*gatewayPort{}
		for _, server := range r.Spec.(*networking.Gateway).GetServers() {
			t.addServer(r, ports, server)
		}
		t.listeners[r.Key()] = ports
	}
}

// addServer files one Gateway server under its port: plain HTTP servers of
// a port share one route configuration, each HTTPS server has its own.
func (t *translation) addServer(r mesh.Resource, ports map[uint32]*gatewayPort, server *networking.Server) {
	port := server.GetPort()
	tls, ok := t.serverTLS(r, server)
	if !ok {
		return
	}
	gp, exists := ports[port.GetNumber()]
	if !exists {
		gp = &gatewayPort{port: port.GetNumber(), tls: tls != nil, servers: map[string]*gatewayServer{}}
		ports[port.GetNumber()] = gp
	}
	if gp.tls != (tls != nil) {
		t.fail(r, "server %q: port %d mixes HTTP and HTTPS servers; this one is ignored", port.GetName(), port.GetNumber())
		return
	}
	name := fmt.Sprintf("http.%d", port.GetNumber())
	if tls != nil {
		name = fmt.Sprintf("https.%d.%s.%s.%s", port.GetNumber(), port.GetName(), r.Name, r.Namespace)
	}
	s, exists := gp.servers[name]
	if !exists {
		s = &gatewayServer{GatewayServer: GatewayServer{RouteName: name, TLS: tls}}
		gp.servers[name] = s
	}
	s.hosts = append(s.hosts, server.GetHosts()...)
}

// serverTLS reads a server's protocol: nil TLS for HTTP, the certificate
// for HTTPS terminated with a credential; anything else is not served.
func (t *translation) serverTLS(r mesh.Resource, server *networking.Server) (*ServerTLS, bool) {
	port := server.GetPort()
	switch port.GetProtocol() {
	case "HTTP":
		return nil, true
	case "HTTPS":
		tls := server.GetTls()
		mode := tls.GetMode()
		if (mode != networking.ServerTLSSettings_SIMPLE && mode != networking.ServerTLSSettings_MUTUAL) || tls.GetCredentialName() == "" {
			t.fail(r, "server %q: only HTTPS with tls mode SIMPLE or MUTUAL and a credentialName is served", port.GetName())
			return nil, false
		}
		var names []string
		for _, h := range server.GetHosts() {
			names = append(names, hostPart(h))
		}
		sort.Strings(names)
		return &ServerTLS{SecretName: tls.GetCredentialName(), ServerNames: names, RequireClientCertificate: mode == networking.ServerTLSSettings_MUTUAL}, true
	}
	t.fail(r, "server %q: protocol %q is not served; only HTTP and HTTPS", port.GetName(), port.GetProtocol())
	return nil, false
}

// bindGateway adds a virtual host to every server of a gateway whose hosts
// accept it. A host already bound to a server by another VirtualService
// keeps its first binding (objects arrive sorted by key); the clash is
// reported.
func (t *translation) bindGateway(r mesh.Resource, key string, vhost VirtualHost) {
	ports, ok := t.listeners[key]
	if !ok {
		t.fail(r, "gateway %s does not exist", key)
		return
	}
	for _, s := range sortedServers(ports) {
		if !acceptsHost(s.hosts, r.Namespace, vhost.Name) {
			continue
		}
		if t.isBound(s, vhost.Name) {
			t.fail(r, "host %s is already bound to gateway %s by another VirtualService", vhost.Name, key)
			continue
		}
		s.VirtualHosts = append(s.VirtualHosts, vhost)
	}
}

// sortedServers lists a gateway's servers by port, then route name, so
// bindings and the problems they report come out in a stable order.
func sortedServers(ports map[uint32]*gatewayPort) []*gatewayServer {
	var out []*gatewayServer
	for _, gp := range ports {
		for _, s := range gp.servers {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RouteName < out[j].RouteName })
	return out
}

func (t *translation) collectListeners() {
	for _, ports := range t.listeners {
		for _, gp := range ports {
			l := GatewayListener{Port: gp.port}
			for _, s := range gp.servers {
				sortHosts(s.VirtualHosts)
				l.Servers = append(l.Servers, s.GatewayServer)
			}
			sort.Slice(l.Servers, func(i, j int) bool { return l.Servers[i].RouteName < l.Servers[j].RouteName })
			t.ir.GatewayListeners = append(t.ir.GatewayListeners, l)
		}
	}
	sort.Slice(t.ir.GatewayListeners, func(i, j int) bool {
		return t.ir.GatewayListeners[i].Port < t.ir.GatewayListeners[j].Port
	})
	sortHosts(t.ir.MeshHosts)
}

// acceptsHost applies Istio's Gateway host matching: `[namespace/]host`,
// where namespace is `*` or the VirtualService's, and host is `*`, an exact
// name or `*.domain` (which also accepts the same or narrower wildcards).
func acceptsHost(serverHosts []string, vsNamespace, host string) bool {
	for _, sh := range serverHosts {
		if ns, _, found := strings.Cut(sh, "/"); found && ns != "*" && ns != vsNamespace {
			continue
		}
		pattern := hostPart(sh)
		switch {
		case pattern == "*", pattern == host:
			return true
		case strings.HasPrefix(pattern, "*.") && strings.HasSuffix(host, pattern[1:]):
			return true
		}
	}
	return false
}

// hostPart drops a Gateway host's namespace.
func hostPart(h string) string {
	if _, host, found := strings.Cut(h, "/"); found {
		return host
	}
	return h
}
