package routingtable

import "code.cloudfoundry.org/cf-mesh/internal/source"

// Table is the joined routing table, sorted by Host, then by Path with the
// longest path first.
type Table struct {
	Routes []Route `json:"routes,omitempty"`
}

// Origin says which source a route comes from.
type Origin string

const (
	// OriginCloudController marks a route Cloud Controller (or a route file)
	// desires.
	OriginCloudController Origin = "cloud_controller"
	// OriginNATS marks a route known only from NATS registrations.
	OriginNATS Origin = "nats"
)

// Route is one HTTP route: a host, an optional context path, and where its
// traffic goes.
type Route struct {
	// GUID is the Cloud Controller route GUID, empty for NATS-only routes.
	GUID string `json:"guid,omitempty"`
	// Host is the lower-case fully qualified host, possibly `*.domain`.
	Host string `json:"host,omitempty"`
	// Path is the context path, empty for the whole host.
	Path string `json:"path,omitempty"`
	// Internal is true for routes on an internal domain.
	Internal bool `json:"internal,omitempty"`
	// LoadBalancing is the route's `loadbalancing` option, empty when unset.
	LoadBalancing string `json:"load_balancing,omitempty"`
	// Origin says where the route comes from.
	Origin Origin `json:"origin,omitempty"`
	// Annotations are the Cloud Controller route's metadata annotations.
	Annotations map[string]string `json:"annotations,omitempty"`
	// Destinations are sorted by Key.
	Destinations []Destination `json:"destinations,omitempty"`
}

// Destination is one app process a route sends traffic to.
type Destination struct {
	// Key identifies the destination within its host: the Cloud Controller
	// process GUID when known, otherwise a stable name derived from the app
	// (see DestinationKey). It names the mesh subset.
	Key string `json:"key,omitempty"`
	// AppGUID is the app's GUID, empty for route_registrar routes.
	AppGUID string `json:"app_guid,omitempty"`
	// ProcessType is the process type (`web`).
	ProcessType string `json:"process_type,omitempty"`
	// ProcessGUID is the Cloud Controller process GUID, empty when unknown.
	ProcessGUID string `json:"process_guid,omitempty"`
	// Port is the container port Cloud Controller routes to.
	Port uint32 `json:"port,omitempty"`
	// Protocol is `http1` or `http2`.
	Protocol string `json:"protocol,omitempty"`
	// Weight is Cloud Controller's weight, nil for an unweighted route.
	Weight *int32 `json:"weight,omitempty"`
	// Endpoints are the live instances of this destination, sorted by
	// Address then Port.
	Endpoints []source.Endpoint `json:"endpoints,omitempty"`
}
