package cloudcontroller

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/cloudfoundry/go-cfclient/v3/resource"

	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// Cloud Controller's defaults for a destination that leaves a field unset
// (cf-contracts.md §4).
const (
	DefaultProcessType = "web"
	DefaultPort        = 8080
	DefaultProtocol    = "http1"
)

// Route protocols Cloud Controller reports (`route.protocol`).
const (
	protocolHTTP = "http"
	protocolTCP  = "tcp"
)

// RouteError reports a Cloud Controller route that Translate dropped, and
// why.
type RouteError struct {
	// RouteGUID is the dropped route's GUID.
	RouteGUID string
	// Reason says what is wrong with it.
	Reason string
}

func (e *RouteError) Error() string {
	return fmt.Sprintf("route %s dropped: %s", e.RouteGUID, e.Reason)
}

// App states Cloud Controller reports (`app.state`).
const (
	AppStarted = "STARTED"
	AppStopped = "STOPPED"
)

// Foundation is what Cloud Controller reported, as go-cfclient decodes it:
// the resources of `GET /v3/routes?include=domain` (routes and included
// domains), `/v3/processes`, `/v3/apps`, `/v3/spaces` and
// `/v3/route_policies`, plus the domains' route policy settings, which
// go-cfclient's resource.Domain leaves out (DecodeRoutePage reads them).
type Foundation struct {
	Routes    []*resource.Route
	Domains   []*resource.Domain
	Processes []*resource.Process
	Apps      []*resource.App
	Spaces    []*resource.Space
	// DomainPolicies say which domains enforce route policies; a domain
	// without an entry does not.
	DomainPolicies []DomainPolicy
	// RoutePolicies are the route policies, of any route.
	RoutePolicies []*resource.RoutePolicy
}

// Translate reduces a foundation to the HTTP routes the mesh serves.
// Domains must hold every route's domain. The other lists may be
// incomplete, and fill in what they can:
//   - Processes give each destination its ProcessGUID (left empty when no
//     process of the destination's app and type is listed). When an app has
//     several processes of one type (during a rolling deployment), the
//     newest wins: it is the one a finished deployment keeps.
//   - Apps drop the destinations of apps that are not STARTED, after the
//     route's weights were validated: a stopped app gets no traffic, even
//     though its NATS registrations may linger until they go stale. The
//     remaining weights then no longer sum to 100; downstream shares them
//     out (ADR 5). A destination whose app is not listed is kept.
//   - Spaces give each route its OrganizationGUID (SpaceGUID comes from the
//     route itself).
//   - DomainPolicies and RoutePolicies: a route on a domain that enforces
//     route policies gets EnforceRoutePolicies and, in RoutePolicies, the
//     callers its policies admit within the domain's route_policies_scope,
//     taken around the route's own space and organization (scope.go): under
//     `org` or `space` Apps and Spaces say where callers are, and a caller
//     outside the scope is left out. A policy whose source does not parse,
//     or whose caller the scope cannot place because an app, space or the
//     route's space or organization is not listed, is left out and reported
//     as one *RoutePolicyError, so its route admits fewer callers (fail
//     closed); the route itself still flows. Routes on other domains carry
//     no callers, whatever policies name them.
//
// Routes come out sorted by Host, then Path (then GUID, for a stable order).
// A route that cannot be translated is left out and reported as one
// *RouteError; the error slice is nil when every route and route policy
// translated. A route GUID listed twice (Cloud Controller's offset
// pagination can repeat a route when routes are created while a client
// pages) is translated once.
func Translate(f Foundation) (source.DesiredRoutes, []error) {
	t := translator{
		domains:        indexDomains(f.Domains),
		processes:      indexProcesses(f.Processes),
		appStates:      indexApps(f.Apps),
		orgs:           indexSpaces(f.Spaces),
		scope:          indexScope(f),
		domainPolicies: indexDomainPolicies(f.DomainPolicies),
		routePolicies:  indexRoutePolicies(f.RoutePolicies),
	}
	out := source.DesiredRoutes{Routes: make([]source.DesiredRoute, 0, len(f.Routes))}
	var errs []error
	seen := make(map[string]bool, len(f.Routes))
	for _, r := range f.Routes {
		if r == nil || r.Protocol == protocolTCP || seen[r.GUID] {
			continue
		}
		seen[r.GUID] = true
		route, reason := t.route(r)
		if reason != "" {
			errs = append(errs, &RouteError{RouteGUID: r.GUID, Reason: reason})
			continue
		}
		errs = append(errs, t.admit(&route, r.Relationships.Domain.Data.GUID)...)
		out.Routes = append(out.Routes, route)
	}
	slices.SortFunc(out.Routes, func(a, b source.DesiredRoute) int {
		return cmp.Or(cmp.Compare(a.Host, b.Host), cmp.Compare(a.Path, b.Path), cmp.Compare(a.GUID, b.GUID))
	})
	return out, errs
}

// processKey identifies an app process the way a destination names it.
type processKey struct {
	appGUID     string
	processType string
}

type translator struct {
	domains        map[string]*resource.Domain
	processes      map[processKey]*resource.Process
	appStates      map[string]string // app GUID → state
	orgs           map[string]string // space GUID → organization GUID
	scope          scopeIndex
	domainPolicies map[string]DomainPolicy
	routePolicies  map[string][]*resource.RoutePolicy // route GUID → its policies
}

// admit gives a route on a domain that enforces route policies the callers
// its policies admit within the domain's scope, and reports the policies it
// had to drop.
func (t translator) admit(route *source.DesiredRoute, domainGUID string) []error {
	domain := t.domainPolicies[domainGUID]
	if !domain.Enforce {
		return nil
	}
	route.EnforceRoutePolicies = true
	callers, errs := t.callers(*route, domain.Scope, t.routePolicies[route.GUID])
	if len(callers) > 0 {
		route.RoutePolicies = callers
	}
	return errs
}

func indexDomains(domains []*resource.Domain) map[string]*resource.Domain {
	byGUID := make(map[string]*resource.Domain, len(domains))
	for _, d := range domains {
		if d != nil {
			byGUID[d.GUID] = d
		}
	}
	return byGUID
}

// indexProcesses maps each app process to its process; of several
// processes with one app and type, the newest (then the greatest GUID) wins,
// whatever the input order.
func indexProcesses(processes []*resource.Process) map[processKey]*resource.Process {
	byKey := make(map[processKey]*resource.Process, len(processes))
	for _, p := range processes {
		if p == nil || p.Relationships.App.Data == nil {
			continue
		}
		key := processKey{appGUID: p.Relationships.App.Data.GUID, processType: p.Type}
		if old, ok := byKey[key]; !ok || cmp.Or(p.CreatedAt.Compare(old.CreatedAt), cmp.Compare(p.GUID, old.GUID)) > 0 {
			byKey[key] = p
		}
	}
	return byKey
}

func indexApps(apps []*resource.App) map[string]string {
	states := make(map[string]string, len(apps))
	for _, a := range apps {
		if a != nil {
			states[a.GUID] = a.State
		}
	}
	return states
}

func indexSpaces(spaces []*resource.Space) map[string]string {
	orgs := make(map[string]string, len(spaces))
	for _, s := range spaces {
		if s != nil {
			orgs[s.GUID] = organizationOf(s)
		}
	}
	return orgs
}

// organizationOf is a space's organization GUID, empty when the space does
// not say.
func organizationOf(s *resource.Space) string {
	if s.Relationships == nil || s.Relationships.Organization == nil || s.Relationships.Organization.Data == nil {
		return ""
	}
	return s.Relationships.Organization.Data.GUID
}

// spaceOf is a route's space GUID, empty when the route does not say.
func spaceOf(r *resource.Route) string {
	if r.Relationships.Space.Data == nil {
		return ""
	}
	return r.Relationships.Space.Data.GUID
}

// route translates one HTTP route, or returns why it cannot.
func (t translator) route(r *resource.Route) (source.DesiredRoute, string) {
	if r.Protocol != protocolHTTP && r.Protocol != "" {
		return source.DesiredRoute{}, fmt.Sprintf("unsupported protocol %q", r.Protocol)
	}
	if r.Relationships.Domain.Data == nil || r.Relationships.Domain.Data.GUID == "" {
		return source.DesiredRoute{}, "route has no domain relationship"
	}
	domainGUID := r.Relationships.Domain.Data.GUID
	domain, ok := t.domains[domainGUID]
	if !ok {
		return source.DesiredRoute{}, fmt.Sprintf("domain %s is not among the listed domains", domainGUID)
	}
	if domain.Name == "" {
		return source.DesiredRoute{}, fmt.Sprintf("domain %s has no name", domainGUID)
	}
	destinations, reason := t.destinations(r.Destinations)
	if reason != "" {
		return source.DesiredRoute{}, reason
	}
	space := spaceOf(r)
	route := source.DesiredRoute{
		GUID:             r.GUID,
		Host:             fqdn(r.Host, domain.Name),
		Path:             r.Path,
		Internal:         domain.Internal,
		Destinations:     destinations,
		Annotations:      annotations(r.Metadata),
		SpaceGUID:        space,
		OrganizationGUID: t.orgs[space],
	}
	if r.Options != nil {
		route.LoadBalancing = r.Options.LoadBalancing
	}
	return route, ""
}

// fqdn is Cloud Controller's route host name: `host.domain`, or the domain
// alone when the route has no host; always lower case.
func fqdn(host, domain string) string {
	if host == "" {
		return strings.ToLower(domain)
	}
	return strings.ToLower(host + "." + domain)
}

func annotations(m *resource.Metadata) map[string]string {
	if m == nil || len(m.Annotations) == 0 {
		return nil
	}
	out := make(map[string]string, len(m.Annotations))
	for k, v := range m.Annotations {
		if v != nil {
			out[k] = *v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// destinations translates a route's destinations in Cloud Controller's
// order, without those of apps known not to be started, or returns why the
// route must be dropped.
func (t translator) destinations(in []resource.RouteDestination) ([]source.DesiredDestination, string) {
	weights := make([]*int, len(in))
	out := make([]source.DesiredDestination, 0, len(in))
	for i, d := range in {
		dest, reason := t.destination(d)
		if reason != "" {
			return nil, fmt.Sprintf("destinations[%d]: %s", i, reason)
		}
		weights[i] = d.Weight
		out = append(out, dest)
	}
	if err := ValidateWeights(weights); err != nil {
		return nil, err.Error()
	}
	out = slices.DeleteFunc(out, func(d source.DesiredDestination) bool {
		state, known := t.appStates[d.AppGUID]
		return known && state != AppStarted
	})
	if len(out) == 0 {
		return nil, ""
	}
	return out, ""
}

func (t translator) destination(d resource.RouteDestination) (source.DesiredDestination, string) {
	if d.App.GUID == nil || *d.App.GUID == "" {
		return source.DesiredDestination{}, "destination has no app guid"
	}
	dest := source.DesiredDestination{
		AppGUID:     *d.App.GUID,
		ProcessType: DefaultProcessType,
		Port:        DefaultPort,
		Protocol:    DefaultProtocol,
	}
	if d.GUID != nil {
		dest.GUID = *d.GUID
	}
	if d.App.Process != nil && d.App.Process.Type != "" {
		dest.ProcessType = d.App.Process.Type
	}
	if p := t.processes[processKey{appGUID: dest.AppGUID, processType: dest.ProcessType}]; p != nil {
		dest.ProcessGUID = p.GUID
	}
	if d.Port != nil {
		if *d.Port < 1 || *d.Port > 65535 {
			return source.DesiredDestination{}, fmt.Sprintf("port %d is out of range 1..65535", *d.Port)
		}
		dest.Port = uint32(*d.Port)
	}
	if d.Protocol != nil && *d.Protocol != "" {
		if *d.Protocol != "http1" && *d.Protocol != "http2" {
			return source.DesiredDestination{}, fmt.Sprintf("protocol %q is not http1 or http2", *d.Protocol)
		}
		dest.Protocol = *d.Protocol
	}
	if d.Weight != nil && *d.Weight >= MinWeight && *d.Weight <= MaxWeight {
		w := int32(*d.Weight)
		dest.Weight = &w
	}
	return dest, ""
}
