package copilot

import (
	"slices"
	"strings"

	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
)

// Adopting endpoints-first updates (ADR 20). A full build after NATS
// changes that moved only endpoints would publish what the endpoints-first
// publishes already did: they built those hosts' objects with the
// functions Compile uses, and meshconfig reads endpoints into nothing but
// a host's own objects (routingtable.Route.EqualButEndpoints). The copilot
// then leaves the build out and takes the updates' routes into its last
// routing table instead, so that table (and /debug/routes) stays the one
// a full build would have joined. Any other change (Cloud Controller,
// policies, a host gained or lost, a burst past maxEndpointsFirstHosts)
// still builds in full, except an internal app's instance starting or
// stopping (instanceCameOrWent, ADR 20 third amendment).

// leaveToFullBuild records that the change at snapshot version has no
// endpoints-first update standing for it.
func (b *builder) leaveToFullBuild(version uint64) {
	b.publishMu.Lock()
	defer b.publishMu.Unlock()
	b.uncovered = max(b.uncovered, version)
}

// adoptEndpointsFirst stands in for a full build when every NATS change
// since the last one has an endpoints-first update that changed only
// endpoints; it reports whether it did. The caller must know that no
// other source changed, and that the endpoints-first goroutine took every
// change notified before.
func (b *builder) adoptEndpointsFirst() bool {
	b.publishMu.Lock()
	defer b.publishMu.Unlock()
	table, _, built := b.latest()
	if !built || b.uncovered > b.builtVersion {
		return false
	}
	for _, u := range b.fresher {
		table.Routes = replaceHosts(table.Routes, u.hosts, u.routes)
		b.builtVersion = max(b.builtVersion, u.version)
	}
	b.fresher = nil
	b.mu.Lock()
	b.table = table
	b.mu.Unlock()
	b.adopted.Inc()
	return true
}

// adoptable reports whether hosts' routes (in the routing table's order)
// differ from those in table only in what their own objects carry: their
// endpoints, or an internal instance's per-instance host coming or going.
func adoptable(table []routingtable.Route, hosts []string, routes []routingtable.Route) bool {
	for _, host := range hosts {
		before, after := routesOfHost(table, host), routesOfHost(routes, host)
		if !slices.EqualFunc(before, after, routingtable.Route.EqualButEndpoints) && !instanceCameOrWent(table, host, before, after) {
			return false
		}
	}
	return true
}

// instanceCameOrWent reports whether host is a per-instance host
// `<index>.<parent>` (ADR 19) that gained its routes (after) or lost them
// (before) in a way Compile reads into its own objects only. Beyond a
// host's objects, Compile reads routes into the gateway's route policies
// (enforcing routes only) and each app's AuthorizationPolicy: the ports
// the app serves, and, when one of its routes enforces route policies,
// a rule per route. So the routes must be NATS-only ones without route
// policies (NATS-only ones), and each app they name must enforce none and
// serve the same port on another host of table.
func instanceCameOrWent(table []routingtable.Route, host string, before, after []routingtable.Route) bool {
	own := after
	switch {
	case len(before) > 0 && len(after) > 0, len(before)+len(after) == 0:
		return false
	case len(before) > 0:
		own = before
	}
	if _, ok := routingtable.InstanceParent(host); !ok {
		return false
	}
	for _, r := range own {
		if r.Origin != routingtable.OriginNATS { // Build gives those no route policies
			return false
		}
		for _, d := range r.Destinations {
			if d.AppGUID != "" && !servesElsewhere(table, host, d.AppGUID, d.Port) {
				return false
			}
		}
	}
	return true
}

// servesElsewhere reports whether app serves port on a route of table
// other than host's, and enforces route policies on none.
func servesElsewhere(table []routingtable.Route, host, app string, port uint32) bool {
	serves := false
	for _, r := range table {
		for _, d := range r.Destinations {
			if d.AppGUID != app {
				continue
			}
			if r.EnforceRoutePolicies {
				return false
			}
			serves = serves || (r.Host != host && d.Port == port)
		}
	}
	return serves
}

// routesOfHost is host's run of routes in routes, which are sorted by
// host.
func routesOfHost(routes []routingtable.Route, host string) []routingtable.Route {
	i, _ := slices.BinarySearchFunc(routes, host, func(r routingtable.Route, h string) int { return strings.Compare(r.Host, h) })
	j := i
	for j < len(routes) && routes[j].Host == host {
		j++
	}
	return routes[i:j]
}

// replaceHosts is table with hosts' routes replaced by fresh (sorted by
// host, as table is), in a new slice: a reader of the old table keeps
// its routes.
func replaceHosts(table []routingtable.Route, hosts []string, fresh []routingtable.Route) []routingtable.Route {
	replaced := make(map[string]bool, len(hosts))
	for _, h := range hosts {
		replaced[h] = true
	}
	out := make([]routingtable.Route, 0, len(table)+len(fresh))
	for _, r := range table {
		if replaced[r.Host] {
			continue
		}
		for len(fresh) > 0 && fresh[0].Host < r.Host {
			out, fresh = append(out, fresh[0]), fresh[1:]
		}
		out = append(out, r)
	}
	return append(out, fresh...)
}
