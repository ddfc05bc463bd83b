package routingtable

import (
	"sort"

	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// Table is the joined routing table, sorted by Host, then by Path with the
// longest path first.
type Table struct {
	Routes []Route `json:"routes,omitempty"`
	// Policies are the container-to-container policies and what the
	// copilot can vouch for about them.
	Policies Policies `json:"policies,omitzero"`
}

// Policies are cf-networking's container-to-container policies, with the
// state of their source. While the copilot cannot vouch for an app's
// policies, that app admits no mesh caller: a policy source outage fails
// closed, never open.
type Policies struct {
	// Network are the policies, as the source last reported them.
	Network source.NetworkPolicies `json:"network,omitempty"`
	// Unknown is true while a configured policy source has never answered:
	// no app's policies are known.
	Unknown bool `json:"unknown,omitempty"`
	// Unverified are the GUIDs of apps that appeared while the policy
	// source was lost, sorted: their policies are unknown.
	Unverified []string `json:"unverified,omitempty"`
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
	// EnforceRoutePolicies is true when only RoutePolicies' callers may
	// call the route (its domain enforces route policies, RFC-0055).
	EnforceRoutePolicies bool `json:"enforce_route_policies,omitempty"`
	// RoutePolicies are the callers Cloud Controller's route policies admit.
	RoutePolicies []source.Caller `json:"route_policies,omitempty"`
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

// Apps lists the GUIDs of every app some route sends traffic to, sorted.
func (t Table) Apps() []string {
	seen := map[string]bool{}
	var apps []string
	for _, r := range t.Routes {
		for _, d := range r.Destinations {
			if d.AppGUID != "" && !seen[d.AppGUID] {
				seen[d.AppGUID] = true
				apps = append(apps, d.AppGUID)
			}
		}
	}
	sort.Strings(apps)
	return apps
}
