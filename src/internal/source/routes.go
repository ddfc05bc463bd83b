package source

// DesiredRoutes is Cloud Controller's view of HTTP routing: which routes
// exist and which app processes they send traffic to, with what weights.
// Routes are sorted by Host, then Path.
type DesiredRoutes struct {
	Routes []DesiredRoute `json:"routes,omitempty"`
}

// DesiredRoute is one Cloud Controller route (`/v3/routes`), reduced to what
// routing needs.
type DesiredRoute struct {
	// GUID is the Cloud Controller route GUID. Empty for routes that come
	// from a local route file without one.
	GUID string `json:"guid,omitempty"`
	// Host is the fully qualified, lower-case host name: `host.domain`, or
	// just the domain when the route has no host. It may start with `*.`.
	Host string `json:"host,omitempty"`
	// Path is the context path (`/foo`), or empty for the whole host.
	Path string `json:"path,omitempty"`
	// Internal is true for routes on an internal domain (`apps.internal`).
	Internal bool `json:"internal,omitempty"`
	// LoadBalancing is the route option `loadbalancing` (`round-robin`,
	// `least-connection`, `hash`), empty when unset.
	LoadBalancing string `json:"load_balancing,omitempty"`
	// Destinations are the app processes the route maps to, in Cloud
	// Controller's order.
	Destinations []DesiredDestination `json:"destinations,omitempty"`
	// Annotations are the route's `metadata.annotations`.
	Annotations map[string]string `json:"annotations,omitempty"`
	// SpaceGUID and OrganizationGUID say who owns the route (route
	// policies and their scopes refer to them). Empty when the source does
	// not know them (a route file).
	SpaceGUID        string `json:"space_guid,omitempty"`
	OrganizationGUID string `json:"organization_guid,omitempty"`
	// EnforceRoutePolicies is true when the route's domain enforces route
	// policies (RFC-0055): then only RoutePolicies' callers may call it,
	// and a route without policies admits nobody.
	EnforceRoutePolicies bool `json:"enforce_route_policies,omitempty"`
	// RoutePolicies are the callers Cloud Controller's route policies
	// (`/v3/route_policies`) admit, sorted by Kind, then GUID.
	RoutePolicies []Caller `json:"route_policies,omitempty"`
}

// DesiredDestination is one destination of a route: an app process and,
// optionally, its weight.
type DesiredDestination struct {
	// GUID is the destination GUID.
	GUID string `json:"guid,omitempty"`
	// AppGUID is the destination app's GUID; NATS registrations carry it in
	// `app` and `tags.app_id`.
	AppGUID string `json:"app_guid,omitempty"`
	// ProcessType is the app process type, `web` unless Cloud Controller
	// says otherwise.
	ProcessType string `json:"process_type,omitempty"`
	// ProcessGUID is the Cloud Controller process GUID of that app process,
	// empty when the source does not know it.
	ProcessGUID string `json:"process_guid,omitempty"`
	// Port is the container port traffic goes to (8080 by default).
	Port uint32 `json:"port,omitempty"`
	// Protocol is `http1` or `http2`.
	Protocol string `json:"protocol,omitempty"`
	// Weight is the destination's weight, nil when the route is unweighted.
	// Cloud Controller guarantees all-or-none, 1..100, summing to 100; a
	// route file is validated to the same rules. The Cloud Controller source
	// drops destinations of stopped apps after that check, so the remaining
	// weights may sum to less; meshconfig.EffectiveWeights re-shares them.
	Weight *int32 `json:"weight,omitempty"`
}

// URI is the key NATS registrations use for this route: `host[/path]`.
func (r DesiredRoute) URI() string {
	return r.Host + r.Path
}
