package cloudcontroller

import (
	"cmp"
	"maps"
	"slices"

	"github.com/cloudfoundry/go-cfclient/v3/resource"

	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// View is the copilot's copy of what routing needs from Cloud Controller:
// the last full sync, with targeted refreshes merged in. It holds
// go-cfclient's decoded resources by GUID and never changes them.
type View struct {
	routes         map[string]*resource.Route
	domains        map[string]*resource.Domain
	processes      map[string]*resource.Process
	apps           map[string]*resource.App
	spaces         map[string]*resource.Space
	domainPolicies map[string]DomainPolicy
	routePolicies  map[string]*resource.RoutePolicy
}

// Delta is what a targeted refresh read: the current state of some routes
// and some apps. It is merged into a View all at once, so a refresh that
// failed halfway never reaches it.
type Delta struct {
	// RouteGUIDs are the routes that were re-read: each is replaced by its
	// entry in Routes, or removed when Routes has none (deleted).
	RouteGUIDs []string
	Routes     []*resource.Route
	// Domains are the domains included with Routes.
	Domains []*resource.Domain
	// AppGUIDs are the apps that were re-read with all their processes: each
	// is replaced by its entry in Apps, or removed when Apps has none, and
	// its processes become exactly its entries in Processes.
	AppGUIDs  []string
	Apps      []*resource.App
	Processes []*resource.Process
	// Spaces are spaces the routes named that the view did not know.
	Spaces []*resource.Space
	// DomainPolicies are the route policy settings of Domains.
	DomainPolicies []DomainPolicy
	// PolicyRouteGUIDs are the routes whose route policies were re-read:
	// each route's policies become exactly its entries in RoutePolicies. A
	// route re-read in RouteGUIDs and found deleted loses its policies too
	// (Cloud Controller deletes them with it, recording no policy event).
	PolicyRouteGUIDs []string
	RoutePolicies    []*resource.RoutePolicy
	// DeletedRoutePolicyGUIDs are route policies known to be deleted
	// (`audit.route_policy.delete`): removed without a read.
	DeletedRoutePolicyGUIDs []string
}

// NewView indexes a full sync. Nil entries are skipped.
func NewView(f Foundation) *View {
	v := &View{
		routes:         indexByGUID(f.Routes, func(r *resource.Route) string { return r.GUID }),
		domains:        indexByGUID(f.Domains, func(d *resource.Domain) string { return d.GUID }),
		processes:      indexByGUID(f.Processes, func(p *resource.Process) string { return p.GUID }),
		apps:           indexByGUID(f.Apps, func(a *resource.App) string { return a.GUID }),
		spaces:         indexByGUID(f.Spaces, func(s *resource.Space) string { return s.GUID }),
		routePolicies:  indexByGUID(f.RoutePolicies, func(p *resource.RoutePolicy) string { return p.GUID }),
		domainPolicies: indexDomainPolicies(f.DomainPolicies),
	}
	return v
}

func indexByGUID[T any](items []*T, guid func(*T) string) map[string]*T {
	out := make(map[string]*T, len(items))
	for _, it := range items {
		if it != nil {
			out[guid(it)] = it
		}
	}
	return out
}

// Foundation lists the view's resources, each list sorted by GUID.
func (v *View) Foundation() Foundation {
	return Foundation{
		Routes:    sortedValues(v.routes),
		Domains:   sortedValues(v.domains),
		Processes: sortedValues(v.processes),
		Apps:      sortedValues(v.apps),
		Spaces:    sortedValues(v.spaces),
		DomainPolicies: slices.SortedFunc(maps.Values(v.domainPolicies), func(a, b DomainPolicy) int {
			return cmp.Compare(a.DomainGUID, b.DomainGUID)
		}),
		RoutePolicies: sortedValues(v.routePolicies),
	}
}

func sortedValues[T any](m map[string]*T) []*T {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]*T, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// Translate translates the whole view (see Translate).
func (v *View) Translate() (source.DesiredRoutes, []error) {
	return Translate(v.Foundation())
}

// Apply merges a targeted refresh into the view.
func (v *View) Apply(d Delta) {
	v.applyRoutes(d)
	v.applyApps(d)
	for _, s := range d.Spaces {
		if s != nil {
			v.spaces[s.GUID] = s
		}
	}
	v.applyRoutePolicies(d)
}

func (v *View) applyRoutes(d Delta) {
	for _, guid := range d.RouteGUIDs {
		delete(v.routes, guid)
	}
	for _, r := range d.Routes {
		if r != nil {
			v.routes[r.GUID] = r
		}
	}
	for _, dom := range d.Domains {
		if dom != nil {
			v.domains[dom.GUID] = dom
		}
	}
	// A domain's route policy setting never changes (it is set at
	// creation), so a re-read only ever adds one: a domain read without
	// its setting keeps the one the view has, failing closed.
	for _, p := range d.DomainPolicies {
		v.domainPolicies[p.DomainGUID] = p
	}
}

// applyRoutePolicies replaces the policies of the routes whose policies
// were re-read, drops those of deleted routes, then removes the deleted
// policies.
func (v *View) applyRoutePolicies(d Delta) {
	replaced := make(map[string]bool, len(d.PolicyRouteGUIDs)+len(d.RouteGUIDs))
	for _, guid := range d.PolicyRouteGUIDs {
		replaced[guid] = true
	}
	for _, guid := range d.RouteGUIDs {
		if v.routes[guid] == nil {
			replaced[guid] = true
		}
	}
	if len(replaced) > 0 {
		maps.DeleteFunc(v.routePolicies, func(_ string, p *resource.RoutePolicy) bool { return replaced[routeOf(p)] })
	}
	for _, p := range d.RoutePolicies {
		if p != nil {
			v.routePolicies[p.GUID] = p
		}
	}
	for _, guid := range d.DeletedRoutePolicyGUIDs {
		delete(v.routePolicies, guid)
	}
}

func (v *View) applyApps(d Delta) {
	if len(d.AppGUIDs) > 0 {
		refreshed := make(map[string]bool, len(d.AppGUIDs))
		for _, guid := range d.AppGUIDs {
			refreshed[guid] = true
			delete(v.apps, guid)
		}
		maps.DeleteFunc(v.processes, func(_ string, p *resource.Process) bool {
			return p.Relationships.App.Data != nil && refreshed[p.Relationships.App.Data.GUID]
		})
	}
	for _, a := range d.Apps {
		if a != nil {
			v.apps[a.GUID] = a
		}
	}
	for _, p := range d.Processes {
		if p != nil {
			v.processes[p.GUID] = p
		}
	}
}

// Size counts the view's routes, apps and processes.
func (v *View) Size() (routes, apps, processes int) {
	return len(v.routes), len(v.apps), len(v.processes)
}

// RoutePolicyCount counts the view's route policies.
func (v *View) RoutePolicyCount() int {
	return len(v.routePolicies)
}

// HasRoutePolicy reports whether the view knows a route policy.
func (v *View) HasRoutePolicy(guid string) bool {
	_, ok := v.routePolicies[guid]
	return ok
}

// HasApp reports whether the view knows an app.
func (v *View) HasApp(guid string) bool {
	_, ok := v.apps[guid]
	return ok
}

// RoutesInSpace returns the GUIDs of the view's routes in a space, sorted.
func (v *View) RoutesInSpace(spaceGUID string) []string {
	return v.routesWhere(func(r *resource.Route) bool { return spaceOf(r) == spaceGUID })
}

// RoutesInOrganization returns the GUIDs of the view's routes in the spaces
// of an organization, sorted.
func (v *View) RoutesInOrganization(orgGUID string) []string {
	return v.routesWhere(func(r *resource.Route) bool {
		s := v.spaces[spaceOf(r)]
		return s != nil && organizationOf(s) == orgGUID
	})
}

func (v *View) routesWhere(match func(*resource.Route) bool) []string {
	var out []string
	for guid, r := range v.routes {
		if match(r) {
			out = append(out, guid)
		}
	}
	slices.Sort(out)
	return out
}

// Unknown returns what routes refer to that neither the view nor apps
// hold: the apps of their destinations and their spaces, sorted and
// unique. A targeted refresh reads these too, so that a new app's state and
// processes and a new space's organization are known.
func (v *View) Unknown(routes []*resource.Route, apps []*resource.App) (appGUIDs, spaceGUIDs []string) {
	fetched := make(map[string]bool, len(apps))
	for _, a := range apps {
		if a != nil {
			fetched[a.GUID] = true
		}
	}
	for _, r := range routes {
		if r == nil {
			continue
		}
		if s := spaceOf(r); s != "" && v.spaces[s] == nil {
			spaceGUIDs = append(spaceGUIDs, s)
		}
		for _, d := range r.Destinations {
			if d.App.GUID != nil && *d.App.GUID != "" && v.apps[*d.App.GUID] == nil && !fetched[*d.App.GUID] {
				appGUIDs = append(appGUIDs, *d.App.GUID)
			}
		}
	}
	return sortedUnique(appGUIDs), sortedUnique(spaceGUIDs)
}

// UnknownCallers returns what route policies' callers and apps refer to
// that neither the view nor apps hold: the apps `cf:app:` sources name, and
// the spaces `cf:space:` sources and apps name, sorted and unique. A
// domain's `org` or `space` scope can place a caller only when it knows the
// caller's app and space (Translate drops and reports the others), so a
// targeted refresh that read route policies or apps should read these too:
// then a policy naming an app or space created since the last full sync,
// or an app started in a new space, takes effect by events. Sources that do
// not parse are skipped.
func (v *View) UnknownCallers(policies []*resource.RoutePolicy, apps []*resource.App) (appGUIDs, spaceGUIDs []string) {
	fetched := make(map[string]bool, len(apps))
	for _, a := range apps {
		if a == nil {
			continue
		}
		fetched[a.GUID] = true
		if s := spaceOfApp(a); s != "" && v.spaces[s] == nil {
			spaceGUIDs = append(spaceGUIDs, s)
		}
	}
	for _, p := range policies {
		if p == nil {
			continue
		}
		c, err := source.ParseCaller(p.Source)
		switch {
		case err != nil:
		case c.Kind == source.CallerApp && v.apps[c.GUID] == nil && !fetched[c.GUID]:
			appGUIDs = append(appGUIDs, c.GUID)
		case c.Kind == source.CallerSpace && v.spaces[c.GUID] == nil:
			spaceGUIDs = append(spaceGUIDs, c.GUID)
		}
	}
	return sortedUnique(appGUIDs), sortedUnique(spaceGUIDs)
}

func sortedUnique(s []string) []string {
	slices.SortFunc(s, cmp.Compare[string])
	return slices.Compact(s)
}
