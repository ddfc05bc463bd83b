package envoyir

import "fmt"

// IR is everything the pilot serves, before it becomes protobuf.
type IR struct {
	// GatewayListeners are the ingress gateway's HTTP listeners, sorted by
	// port.
	GatewayListeners []HTTPListener `json:"gateway_listeners,omitempty"`
	// MeshHosts are the hosts mesh clients (proxyless gRPC, sidecars) can
	// reach, sorted by name.
	MeshHosts []VirtualHost `json:"mesh_hosts,omitempty"`
	// Clusters are every upstream any route refers to, sorted by name.
	Clusters []Cluster `json:"clusters,omitempty"`
	// LoadAssignments hold each cluster's endpoints, sorted by cluster.
	LoadAssignments []LoadAssignment `json:"load_assignments,omitempty"`
}

// HTTPListener is a gateway listener serving plain HTTP on Port.
type HTTPListener struct {
	// Port is the Gateway server's port number.
	Port uint32 `json:"port"`
	// VirtualHosts are the hosts bound to this listener, sorted by name.
	VirtualHosts []VirtualHost `json:"virtual_hosts,omitempty"`
}

// VirtualHost is one route host and its routes.
type VirtualHost struct {
	// Name is the host, e.g. `shop.apps.example.com` or `*.example.com`.
	Name string `json:"name"`
	// ServicePorts are the host's service ports (ServiceEntry ports), sorted.
	ServicePorts []uint32 `json:"service_ports,omitempty"`
	// Routes are in match order: most specific path first.
	Routes []Route `json:"routes,omitempty"`
}

// Route sends requests matching a path to weighted clusters.
type Route struct {
	// Name is the Istio HTTPRoute name (the Cloud Controller route GUID).
	Name string `json:"name"`
	// PathExact and PathPrefix: exactly one is set; `/` prefix matches all.
	PathExact  string `json:"path_exact,omitempty"`
	PathPrefix string `json:"path_prefix,omitempty"`
	// Clusters share the route's traffic by weight.
	Clusters []WeightedCluster `json:"clusters"`
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

// Endpoint is one upstream address.
type Endpoint struct {
	Address string `json:"address"`
	Port    uint32 `json:"port"`
}

// ClusterName is Istio's outbound cluster name, `outbound|port|subset|host`.
func ClusterName(port uint32, subset, host string) string {
	return fmt.Sprintf("outbound|%d|%s|%s", port, subset, host)
}
