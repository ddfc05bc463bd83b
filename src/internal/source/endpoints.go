package source

// Endpoints is the set of live app instances NATS route registrations
// report, sorted by URI, then Address, then Port.
type Endpoints []Endpoint

// Endpoint is one backend registered for one URI over NATS
// (`router.register`), in gorouter's terms: an instance reachable at
// Address:Port (plain) and, when TLSPort is set, at Address:TLSPort over TLS
// with ServerCertDomainSAN as the SAN to verify.
type Endpoint struct {
	// URI is the normalised route URI: lower case, `host[/path]`, no
	// trailing slash, no query.
	URI string `json:"uri,omitempty"`
	// Address is the backend IP (`host` in the message).
	Address string `json:"address,omitempty"`
	// Port is the plain port, 0 when the backend registered only TLS.
	Port uint32 `json:"port,omitempty"`
	// TLSPort is the port of the container's TLS proxy, 0 when absent.
	TLSPort uint32 `json:"tls_port,omitempty"`
	// ServerCertDomainSAN is the SAN the backend's certificate carries (the
	// instance GUID for route-emitter registrations).
	ServerCertDomainSAN string `json:"server_cert_domain_san,omitempty"`
	// AppGUID is `app` (or `tags.app_id`); empty for route_registrar routes.
	AppGUID string `json:"app_guid,omitempty"`
	// ProcessGUID is `tags.process_id`, the Cloud Controller process GUID.
	ProcessGUID string `json:"process_guid,omitempty"`
	// ProcessType is `tags.process_type`.
	ProcessType string `json:"process_type,omitempty"`
	// InstanceID is `private_instance_id`, the instance GUID.
	InstanceID string `json:"instance_id,omitempty"`
	// InstanceIndex is `private_instance_index`.
	InstanceIndex string `json:"instance_index,omitempty"`
	// Protocol is `http1` or `http2` (gorouter turns empty into `http1`).
	Protocol string `json:"protocol,omitempty"`
	// AvailabilityZone is `availability_zone`.
	AvailabilityZone string `json:"availability_zone,omitempty"`
	// IsolationSegment is `isolation_segment`.
	IsolationSegment string `json:"isolation_segment,omitempty"`
	// LoadBalancing is `options.loadbalancing`, empty when unset.
	LoadBalancing string `json:"load_balancing,omitempty"`
	// Tags are the registration's `tags`.
	Tags map[string]string `json:"tags,omitempty"`
	// Internal is true for endpoints of internal routes, registered with
	// `service-discovery.register`: Address is the container IP and there
	// is no port; the routing table takes the port from the route's
	// destination (the container port).
	Internal bool `json:"internal,omitempty"`
}
