package meshctl

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/cloudfoundry/go-cfclient/v3/client"
	"github.com/cloudfoundry/go-cfclient/v3/resource"
)

// RouteRef is a route as a developer types it: `host.domain[/path]`.
type RouteRef struct {
	// Name is the lower-case host name, `host.domain` or just the domain.
	Name string
	// Path is the context path (`/v2`), empty for the whole host.
	Path string
}

// URL is how Cloud Controller and `cf routes` write the route.
func (r RouteRef) URL() string { return r.Name + r.Path }

// ParseRouteRef reads `host.domain[/path]`; a leading `http(s)://` is
// ignored. Cloud Controller hosts have no dots, so the route is either the
// first label on the domain of the rest, or a route without a host on the
// whole name (FindRoute asks which domain exists).
func ParseRouteRef(s string) (RouteRef, error) {
	raw := strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	name, path, _ := strings.Cut(raw, "/")
	name = strings.ToLower(name)
	path = strings.TrimRight(path, "/")
	if path != "" {
		path = "/" + path
	}
	switch {
	case name == "" || !strings.Contains(name, ".") || strings.HasPrefix(name, ".") || strings.HasSuffix(name, "."):
		return RouteRef{}, fmt.Errorf("route %q is not host.domain[/path]", s)
	case strings.Contains(name, ":"):
		return RouteRef{}, fmt.Errorf("route %q has a port: TCP routes have no weights, give an HTTP route as host.domain[/path]", s)
	case strings.ContainsAny(path, "?#"):
		return RouteRef{}, fmt.Errorf("route %q has a query or fragment: give host.domain[/path]", s)
	}
	return RouteRef{Name: name, Path: path}, nil
}

// domainCandidates are the domains the route may be on.
func (r RouteRef) domainCandidates() []string {
	_, rest, _ := strings.Cut(r.Name, ".")
	return []string{r.Name, rest}
}

// hostOn is the route's host on domain.
func (r RouteRef) hostOn(domain string) string {
	if domain == r.Name {
		return ""
	}
	return strings.TrimSuffix(r.Name, "."+domain)
}

// findRoute asks Cloud Controller for the HTTP route ref names.
func (cc *cloudController) findRoute(ctx context.Context, ref RouteRef) (Route, error) {
	opts := client.NewDomainListOptions()
	opts.Names.EqualTo(ref.domainCandidates()...)
	domains, err := cc.client.Domains.ListAll(ctx, opts)
	if err != nil {
		return Route{}, ccError("looking up the domain of "+ref.URL(), err)
	}
	var found []Route
	for _, d := range domains {
		routes, err := cc.routesOn(ctx, d, ref)
		if err != nil {
			return Route{}, err
		}
		found = append(found, routes...)
	}
	switch len(found) {
	case 0:
		return Route{}, fmt.Errorf("Cloud Controller at %s has no HTTP route %s that you can see (`cf routes` lists the targeted space's)", cc.target.Target, ref.URL())
	case 1:
		return found[0], nil
	default:
		return Route{}, fmt.Errorf("%s names %d routes (%s and %s): Cloud Controller should not allow that", ref.URL(), len(found), found[0].GUID, found[1].GUID)
	}
}

func (cc *cloudController) routesOn(ctx context.Context, d *resource.Domain, ref RouteRef) ([]Route, error) {
	host := ref.hostOn(d.Name)
	opts := client.NewRouteListOptions()
	opts.DomainGUIDs.EqualTo(d.GUID)
	if host != "" {
		opts.Hosts.EqualTo(host)
	}
	if ref.Path != "" {
		opts.Paths.EqualTo(ref.Path)
	}
	routes, err := cc.client.Routes.ListAll(ctx, opts)
	if err != nil {
		return nil, ccError("looking up route "+ref.URL(), err)
	}
	var out []Route
	for _, r := range routes {
		if strings.EqualFold(r.Host, host) && r.Path == ref.Path && (r.Protocol == "" || r.Protocol == "http") {
			out = append(out, Route{GUID: r.GUID, URL: ref.URL()})
		}
	}
	return out, nil
}

// destinations reads a route's destinations, with their apps' names where
// the user may see the apps.
func (cc *cloudController) destinations(ctx context.Context, route Route) ([]Destination, error) {
	got, err := cc.client.Routes.GetDestinations(ctx, route.GUID)
	if err != nil {
		return nil, ccError("reading the destinations of "+route.URL, err)
	}
	ds := fromCC(got.Destinations)
	var guids []string
	for _, d := range ds {
		guids = append(guids, d.AppGUID)
	}
	names, err := cc.appNames(ctx, guids)
	if err != nil {
		return nil, err
	}
	for i := range ds {
		ds[i].AppName = names[ds[i].AppGUID]
	}
	return ds, nil
}

// appNames maps app GUIDs to names, for the apps Cloud Controller shows.
func (cc *cloudController) appNames(ctx context.Context, guids []string) (map[string]string, error) {
	names := map[string]string{}
	if len(guids) == 0 {
		return names, nil
	}
	opts := client.NewAppListOptions()
	opts.GUIDs.EqualTo(unique(guids)...)
	apps, err := cc.client.Applications.ListAll(ctx, opts)
	if err != nil {
		return nil, ccError("reading the names of the route's apps", err)
	}
	for _, a := range apps {
		names[a.GUID] = a.Name
	}
	return names, nil
}

// replace sends the route's new destinations (the PATCH that replaces them
// all) and returns what Cloud Controller then holds.
func (cc *cloudController) replace(ctx context.Context, route Route, ds []Destination) ([]Destination, error) {
	body := make([]*resource.RouteDestinationInsertOrReplace, 0, len(ds))
	for _, d := range ds {
		r := resource.NewRouteDestinationInsertOrReplace(d.AppGUID).WithProcessType(d.ProcessType)
		if d.Port != 0 {
			r.WithPort(d.Port)
		}
		if d.Protocol != "" {
			protocol := d.Protocol
			r.Protocol = &protocol
		}
		r.Weight = d.Weight
		body = append(body, r)
	}
	got, err := cc.client.Routes.ReplaceDestinations(ctx, route.GUID, body)
	if err != nil {
		return nil, ccError("changing the destinations of "+route.URL, err)
	}
	return fromCC(got.Destinations), nil
}

func fromCC(in []*resource.RouteDestination) []Destination {
	out := make([]Destination, 0, len(in))
	for _, d := range in {
		out = append(out, Destination{
			GUID:        deref(d.GUID),
			AppGUID:     deref(d.App.GUID),
			ProcessType: processType(d.App.Process),
			Port:        derefInt(d.Port),
			Protocol:    deref(d.Protocol),
			Weight:      d.Weight,
		})
	}
	return out
}

func processType(p *resource.RouteDestinationAppProcess) string {
	if p == nil || p.Type == "" {
		return DefaultProcessType
	}
	return p.Type
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefInt(i *int) int {
	if i == nil {
		return 0
	}
	return *i
}

func unique(ss []string) []string {
	set := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !set[s] {
			set[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
