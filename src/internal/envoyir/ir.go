package envoyir

import (
	"strconv"
	"strings"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
)

// IR is everything the pilot serves, before it becomes protobuf.
type IR struct {
	// GatewayListeners are the ingress gateway's listeners, sorted by port.
	GatewayListeners []GatewayListener `json:"gateway_listeners,omitempty"`
	// MeshHosts are the hosts mesh clients (proxyless gRPC, sidecars) can
	// reach, sorted by name.
	MeshHosts []VirtualHost `json:"mesh_hosts,omitempty"`
	// Clusters are every upstream any route refers to, sorted by name.
	Clusters []Cluster `json:"clusters,omitempty"`
	// LoadAssignments hold each cluster's endpoints, sorted by cluster.
	LoadAssignments []LoadAssignment `json:"load_assignments,omitempty"`
	// SidecarHosts name the MeshHosts container sidecars are configured
	// for (the Sidecar scope), sorted.
	SidecarHosts []string `json:"sidecar_hosts,omitempty"`
	// Inbound is what each app serves over the mesh and who may call it,
	// sorted by app.
	Inbound []InboundApp `json:"inbound,omitempty"`
	// Workloads identify the instance behind a connecting sidecar.
	Workloads Workloads `json:"workloads,omitzero"`
	// GatewayAuthorization is who may call what through the ingress
	// gateways; nil when no policy selects them.
	GatewayAuthorization *Authorization `json:"gateway_authorization,omitempty"`
}

// GatewayListener is one gateway port: plain HTTP with one server, or
// HTTPS with one server per certificate, chosen by SNI.
type GatewayListener struct {
	Port uint32 `json:"port"`
	// Servers are sorted by name. A plain HTTP listener has one.
	Servers []GatewayServer `json:"servers"`
}

// GatewayServer is one Gateway server: its route configuration and, for
// HTTPS, the certificate it presents and the SNI names it answers.
type GatewayServer struct {
	// RouteName is Istio's gateway route configuration name: `http.<port>`
	// or `https.<port>.<port name>.<gateway>.<namespace>`.
	RouteName string `json:"route_name"`
	// TLS is nil for plain HTTP.
	TLS *ServerTLS `json:"tls,omitempty"`
	// VirtualHosts are the hosts bound to this server, sorted by name.
	VirtualHosts []VirtualHost `json:"virtual_hosts,omitempty"`
}

// ServerTLS terminates TLS with a certificate the gateway holds.
type ServerTLS struct {
	// SecretName names the key pair (the Gateway's credentialName); the
	// gateway reads it from a file (SDS), the pilot never sees it.
	SecretName string `json:"secret_name"`
	// RequireClientCertificate asks callers for their instance identity
	// (tls mode MUTUAL), verified against the instance identity CA.
	RequireClientCertificate bool `json:"require_client_certificate,omitempty"`
	// ServerNames are the SNI names (exact or `*.domain`) it answers.
	ServerNames []string `json:"server_names"`
}

// VirtualHost is one route host and its routes.
type VirtualHost struct {
	// Name is the host, e.g. `shop.apps.example.com` or `*.example.com`.
	Name string `json:"name"`
	// ServicePorts are the host's service ports (ServiceEntry ports), sorted.
	ServicePorts []uint32 `json:"service_ports,omitempty"`
	// Routes are in match order: most specific first.
	Routes []Route `json:"routes,omitempty"`
}

// Route sends requests matching a path (and headers) to weighted clusters,
// under a traffic policy.
type Route struct {
	// Name is the Istio HTTPRoute name (the Cloud Controller route GUID).
	Name string `json:"name"`
	// PathExact and PathPrefix: exactly one is set; `/` prefix matches all.
	PathExact  string `json:"path_exact,omitempty"`
	PathPrefix string `json:"path_prefix,omitempty"`
	// Headers must all match exactly.
	Headers []HeaderMatch `json:"headers,omitempty"`
	// Clusters share the route's traffic by weight.
	Clusters []WeightedCluster `json:"clusters"`
	// Policy is what the route asks of the proxy.
	Policy RoutePolicy `json:"policy,omitzero"`
}

// HeaderMatch matches one request header's exact value.
type HeaderMatch struct {
	Name  string `json:"name"`
	Exact string `json:"exact"`
}

// RoutePolicy is a route's timeout, retries, faults and rate limit; zero
// fields are not asked for.
type RoutePolicy struct {
	Timeout   jsonduration.Duration `json:"timeout,omitempty"`
	Retry     *RetryPolicy          `json:"retry,omitempty"`
	Fault     *Fault                `json:"fault,omitempty"`
	RateLimit *RateLimit            `json:"rate_limit,omitempty"`
}

// RetryPolicy retries a failed request on another host.
type RetryPolicy struct {
	Attempts      uint32                `json:"attempts"`
	RetryOn       string                `json:"retry_on,omitempty"`
	PerTryTimeout jsonduration.Duration `json:"per_try_timeout,omitempty"`
}

// Fault delays or aborts a share of requests.
type Fault struct {
	Delay        jsonduration.Duration `json:"delay,omitempty"`
	DelayPercent float64               `json:"delay_percent,omitempty"`
	AbortStatus  uint32                `json:"abort_status,omitempty"`
	AbortPercent float64               `json:"abort_percent,omitempty"`
}

// RateLimit admits Requests per Per, per proxy.
type RateLimit struct {
	Requests uint32                `json:"requests"`
	Per      jsonduration.Duration `json:"per"`
}

// WeightedCluster is one destination of a route.
type WeightedCluster struct {
	Cluster string `json:"cluster"`
	Weight  uint32 `json:"weight"`
}

// LoadBalancing is an upstream load-balancing policy.
type LoadBalancing string

// The policies a cluster can use.
const (
	RoundRobin   LoadBalancing = "round_robin"
	LeastRequest LoadBalancing = "least_request"
)

// Cluster is one subset of one host's port: `outbound|port|subset|host`.
type Cluster struct {
	Name          string        `json:"name"`
	Host          string        `json:"host"`
	Port          uint32        `json:"port"`
	Subset        string        `json:"subset"`
	LoadBalancing LoadBalancing `json:"load_balancing"`
	// HTTP2 is true when the upstream speaks HTTP/2 (port protocol HTTP2 or
	// GRPC).
	HTTP2 bool `json:"http2,omitempty"`
}

// LoadAssignment lists a cluster's endpoints.
type LoadAssignment struct {
	Cluster   string     `json:"cluster"`
	Endpoints []Endpoint `json:"endpoints,omitempty"`
}

// Endpoint is one upstream instance: its plain address, and where it
// offers TLS (the container proxy) with the SAN its certificate presents.
type Endpoint struct {
	Address string `json:"address"`
	Port    uint32 `json:"port"`
	// TLSPort is 0 when the instance has no TLS proxy.
	TLSPort uint32 `json:"tls_port,omitempty"`
	// SAN is the DNS name to verify in its certificate (the instance GUID).
	SAN string `json:"san,omitempty"`
}

// ClusterName is Istio's outbound cluster name, `outbound|port|subset|host`.
func ClusterName(port uint32, subset, host string) string {
	return "outbound|" + strconv.FormatUint(uint64(port), 10) + "|" + subset + "|" + host
}

// ParseClusterName splits a name ClusterName made; ok is false for any
// other name.
func ParseClusterName(name string) (port uint32, subset, host string, ok bool) {
	rest, found := strings.CutPrefix(name, "outbound|")
	number, rest, cut := strings.Cut(rest, "|")
	subset, host, split := strings.Cut(rest, "|")
	n, err := strconv.ParseUint(number, 10, 32)
	if !found || !cut || !split || err != nil || host == "" || strings.Contains(host, "|") || ClusterName(uint32(n), subset, host) != name {
		return 0, "", "", false
	}
	return uint32(n), subset, host, true
}
