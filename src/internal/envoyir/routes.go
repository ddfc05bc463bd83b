package envoyir

import (
	"fmt"
	"sort"

	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// virtualHost translates the HTTP routes of one VirtualService host.
func (t *translation) virtualHost(r mesh.Resource, host string, httpRoutes []*networking.HTTPRoute) (VirtualHost, bool) {
	vhost := VirtualHost{Name: host, ServicePorts: t.servicePorts(host)}
	for i, hr := range httpRoutes {
		matches, ok := t.pathMatches(r, i, hr)
		if !ok {
			continue
		}
		clusters, ok := t.weightedClusters(r, host, hr)
		if !ok {
			continue
		}
		policy := t.routePolicy(r, hr)
		for _, m := range matches {
			m.Name, m.Clusters, m.Policy = hr.GetName(), clusters, policy
			vhost.Routes = append(vhost.Routes, m)
		}
	}
	if len(vhost.Routes) == 0 {
		t.fail(r, "host %s has no usable HTTP route", host)
		return VirtualHost{}, false
	}
	return vhost, true
}

func (t *translation) servicePorts(host string) []uint32 {
	var ports []uint32
	for _, p := range t.service(host).GetPorts() {
		ports = append(ports, p.GetNumber())
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
	return ports
}

// pathMatches turns an HTTPRoute's matches (URI and exact headers) into IR
// routes; no match means every path.
func (t *translation) pathMatches(r mesh.Resource, index int, hr *networking.HTTPRoute) ([]Route, bool) {
	if len(hr.GetMatch()) == 0 {
		return []Route{{PathPrefix: "/"}}, true
	}
	var routes []Route
	for _, m := range hr.GetMatch() {
		route, problem := matchRoute(m)
		if problem != "" {
			t.fail(r, "http[%d] %q: %s", index, hr.GetName(), problem)
			return nil, false
		}
		routes = append(routes, route)
	}
	return routes, true
}

// matchRoute translates one match, or says why it cannot.
func matchRoute(m *networking.HTTPMatchRequest) (Route, string) {
	var route Route
	switch uri := m.GetUri().GetMatchType().(type) {
	case nil:
		route.PathPrefix = "/"
	case *networking.StringMatch_Exact:
		route.PathExact = uri.Exact
	case *networking.StringMatch_Prefix:
		route.PathPrefix = uri.Prefix
	default:
		return Route{}, "only exact and prefix URI matches are supported"
	}
	names := make([]string, 0, len(m.GetHeaders()))
	for name := range m.GetHeaders() {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		exact, ok := m.GetHeaders()[name].GetMatchType().(*networking.StringMatch_Exact)
		if !ok {
			return Route{}, fmt.Sprintf("header %q: only exact header matches are supported", name)
		}
		route.Headers = append(route.Headers, HeaderMatch{Name: name, Exact: exact.Exact})
	}
	return route, ""
}

// weightedClusters resolves an HTTPRoute's destinations to clusters.
func (t *translation) weightedClusters(r mesh.Resource, host string, hr *networking.HTTPRoute) ([]WeightedCluster, bool) {
	dests := hr.GetRoute()
	var out []WeightedCluster
	var total uint32
	for _, d := range dests {
		port, ok := t.destinationPort(d.GetDestination())
		if !ok {
			t.fail(r, "route %q: destination %s names no port and its ServiceEntry has not exactly one", hr.GetName(), d.GetDestination().GetHost())
			return nil, false
		}
		weight := uint32(max(d.GetWeight(), 0))
		if len(dests) == 1 && weight == 0 {
			weight = 100
		}
		if weight == 0 {
			continue
		}
		ref := clusterRef{host: d.GetDestination().GetHost(), port: port, subset: d.GetDestination().GetSubset()}
		t.useCluster(ref)
		out = append(out, WeightedCluster{Cluster: ClusterName(ref.port, ref.subset, ref.host), Weight: weight})
		total += weight
	}
	if total == 0 {
		t.fail(r, "route %q on host %s has no destination with weight", hr.GetName(), host)
		return nil, false
	}
	return out, true
}

func (t *translation) destinationPort(d *networking.Destination) (uint32, bool) {
	if n := d.GetPort().GetNumber(); n != 0 {
		return n, true
	}
	ports := t.service(d.GetHost()).GetPorts()
	if len(ports) == 1 {
		return ports[0].GetNumber(), true
	}
	return 0, false
}
