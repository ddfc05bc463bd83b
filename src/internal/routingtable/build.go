package routingtable

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"code.cloudfoundry.org/cf-mesh/internal/source"
)

const (
	// DefaultProcessType is the process type Cloud Controller assumes when a
	// destination or registration names none.
	DefaultProcessType = "web"
	// DefaultPort is the container port of NATS-only routes, whose real port
	// nobody reports (route-emitter registers host ports).
	DefaultPort = 8080
	// RouteRegistrarKey names the destination of NATS-only endpoints that
	// carry no app: system components registered by route_registrar.
	RouteRegistrarKey = "route-registrar"
)

// Build joins desired routes with live endpoints into a routing table and
// carries the container-to-container policies along.
//
// Endpoints sorted as source.Endpoints promises are not copied: each
// destination's endpoints are a (capacity-limited) window of the input
// when the destination owns all of its URI's endpoints, as it almost always
// does, so the table shares them with the caller, and neither may change
// them. Unsorted input is sorted in a copy first.
func Build(desired source.DesiredRoutes, endpoints source.Endpoints, policies Policies) Table {
	uris, byURI := groupByURI(endpoints)
	claimed := make(map[string]bool, len(desired.Routes))
	routes := make([]Route, 0, len(desired.Routes)+len(uris))
	for _, d := range desired.Routes {
		uri := d.URI()
		claimed[uri] = true
		routes = append(routes, desiredRoute(d, byURI[uri]))
	}
	var ports instancePorts
	for _, uri := range uris {
		if !claimed[uri] {
			if ports == nil {
				ports = internalPorts(desired.Routes)
			}
			routes = append(routes, natsOnlyRoute(uri, byURI[uri], ports))
		}
	}
	sortRoutes(routes)
	return Table{Routes: routes, Policies: policies}
}

// groupByURI returns the URIs in order and each URI's endpoints, in
// Address, Port, TLSPort order, as windows of the (sorted) input.
func groupByURI(endpoints source.Endpoints) ([]string, map[string][]source.Endpoint) {
	if !slices.IsSortedFunc(endpoints, compareEndpoints) {
		endpoints = slices.Clone(endpoints)
		slices.SortStableFunc(endpoints, compareEndpoints)
	}
	var uris []string
	byURI := map[string][]source.Endpoint{}
	for i := 0; i < len(endpoints); {
		j := i + 1
		for j < len(endpoints) && endpoints[j].URI == endpoints[i].URI {
			j++
		}
		uris = append(uris, endpoints[i].URI)
		byURI[endpoints[i].URI] = endpoints[i:j:j]
		i = j
	}
	return uris, byURI
}

// compareEndpoints is source.Endpoints' order: URI, Address, Port, TLSPort.
func compareEndpoints(a, b source.Endpoint) int {
	return cmp.Or(strings.Compare(a.URI, b.URI), strings.Compare(a.Address, b.Address),
		cmp.Compare(a.Port, b.Port), cmp.Compare(a.TLSPort, b.TLSPort))
}

func desiredRoute(d source.DesiredRoute, endpoints []source.Endpoint) Route {
	r := Route{
		GUID:          d.GUID,
		Host:          d.Host,
		Path:          d.Path,
		Internal:      d.Internal,
		LoadBalancing: d.LoadBalancing,
		Origin:        OriginCloudController,
		Annotations:   d.Annotations,

		EnforceRoutePolicies: d.EnforceRoutePolicies,
		RoutePolicies:        d.RoutePolicies,
	}
	for _, dd := range d.Destinations {
		processType := orDefault(dd.ProcessType, DefaultProcessType)
		owned := withPort(ownedEndpoints(endpoints, dd.AppGUID, processType), dd.Port)
		processGUID := dd.ProcessGUID
		if processGUID == "" {
			processGUID = firstProcessGUID(owned)
		}
		r.Destinations = append(r.Destinations, Destination{
			Key:         DestinationKey(processGUID, dd.AppGUID, processType),
			AppGUID:     dd.AppGUID,
			ProcessType: processType,
			ProcessGUID: processGUID,
			Port:        dd.Port,
			Protocol:    dd.Protocol,
			Weight:      dd.Weight,
			Endpoints:   owned,
		})
	}
	r.Destinations = uniqueKeys(r.Destinations)
	return r
}

// ownedEndpoints returns the endpoints registered by one app process: the
// URI's endpoints themselves when they all are.
func ownedEndpoints(endpoints []source.Endpoint, appGUID, processType string) []source.Endpoint {
	owns := func(e source.Endpoint) bool {
		return e.AppGUID == appGUID && orDefault(e.ProcessType, DefaultProcessType) == processType
	}
	n := 0
	for _, e := range endpoints {
		if owns(e) {
			n++
		}
	}
	switch n {
	case 0:
		return nil
	case len(endpoints):
		return endpoints
	}
	owned := make([]source.Endpoint, 0, n)
	for _, e := range endpoints {
		if owns(e) {
			owned = append(owned, e)
		}
	}
	return owned
}

func natsOnlyRoute(uri string, endpoints []source.Endpoint, ports instancePorts) Route {
	host, path := splitURI(uri)
	r := Route{Host: host, Path: path, Origin: OriginNATS}
	groups := map[string]*Destination{}
	for _, e := range endpoints {
		port := ports.of(host, e)
		if e.Internal && e.Port == 0 {
			e.Port = port
		}
		r.Internal = r.Internal || e.Internal
		processType := orDefault(e.ProcessType, DefaultProcessType)
		key := DestinationKey(e.ProcessGUID, e.AppGUID, processType)
		if e.AppGUID == "" {
			processType = ""
		}
		d, ok := groups[key]
		if !ok {
			d = &Destination{Key: key, AppGUID: e.AppGUID, ProcessType: processType,
				ProcessGUID: e.ProcessGUID, Port: port, Protocol: orDefault(e.Protocol, "http1")}
			groups[key] = d
		}
		d.Endpoints = append(d.Endpoints, e)
		if r.LoadBalancing == "" {
			r.LoadBalancing = e.LoadBalancing
		}
	}
	for _, d := range groups {
		sortEndpoints(d.Endpoints)
		r.Destinations = append(r.Destinations, *d)
	}
	slices.SortFunc(r.Destinations, func(a, b Destination) int { return strings.Compare(a.Key, b.Key) })
	return r
}

// withPort gives internal endpoints, which service discovery registers
// without a port, the destination's container port. It copies only when
// it changes something.
func withPort(endpoints []source.Endpoint, port uint32) []source.Endpoint {
	for i, e := range endpoints {
		if e.Internal && e.Port == 0 {
			out := append([]source.Endpoint(nil), endpoints...)
			for j := i; j < len(out); j++ {
				if out[j].Internal && out[j].Port == 0 {
					out[j].Port = port
				}
			}
			return out
		}
	}
	return endpoints
}

// DestinationKey names a destination within its host: the Cloud Controller
// process GUID when known, else `<app guid>-<process type>`, else
// RouteRegistrarKey for endpoints without an app.
func DestinationKey(processGUID, appGUID, processType string) string {
	switch {
	case processGUID != "":
		return processGUID
	case appGUID != "":
		return appGUID + "-" + orDefault(processType, DefaultProcessType)
	default:
		return RouteRegistrarKey
	}
}

// uniqueKeys suffixes the port to keys that repeat within one route (one app
// process mapped twice on different ports), keeping Cloud Controller's order.
func uniqueKeys(dests []Destination) []Destination {
	seen := map[string]int{}
	for _, d := range dests {
		seen[d.Key]++
	}
	for i := range dests {
		if seen[dests[i].Key] > 1 {
			dests[i].Key += "-" + strconv.FormatUint(uint64(dests[i].Port), 10)
		}
	}
	return dests
}

func firstProcessGUID(endpoints []source.Endpoint) string {
	for _, e := range endpoints {
		if e.ProcessGUID != "" {
			return e.ProcessGUID
		}
	}
	return ""
}

func splitURI(uri string) (host, path string) {
	if i := strings.IndexByte(uri, '/'); i >= 0 {
		return uri[:i], uri[i:]
	}
	return uri, ""
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func sortEndpoints(eps []source.Endpoint) {
	slices.SortFunc(eps, compareEndpoints) // within one URI: Address, Port, TLSPort
}

// sortRoutes orders by host, then longest path first, so that the first
// matching prefix of a host is the most specific one.
func sortRoutes(routes []Route) {
	slices.SortStableFunc(routes, func(a, b Route) int {
		return cmp.Or(strings.Compare(a.Host, b.Host), cmp.Compare(len(b.Path), len(a.Path)), strings.Compare(a.Path, b.Path))
	})
}
