package routeregistry

import (
	"slices"

	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// routingSnapshot is the last EndpointsWithoutTags result, the order it was
// built in, and the keys changed since (added, replaced or removed).
//
// Decision (issue 8): the copilot takes this snapshot for every build, and
// building 100,000 source.Endpoints afresh (a map lookup and a struct per
// endpoint) was a third of a build after one endpoint changed. The next
// snapshot walks the new order beside the previous one and copies every
// endpoint whose key, ports and entry no change touched; only touched ones
// are built again. An unchanged re-registration keeps its entry (it is
// not a change), so steady re-registration touches nothing. The previous
// snapshot is the one the subscriber and the routing table already share,
// so keeping it costs no memory of its own.
type routingSnapshot struct {
	endpoints source.Endpoints
	order     []ordered
	touched   map[endpointKey]bool
}

// touch records that key's endpoint changed since the snapshot.
func (s *routingSnapshot) touch(key endpointKey) {
	if s.endpoints == nil {
		return
	}
	if s.touched == nil {
		s.touched = map[endpointKey]bool{}
	}
	s.touched[key] = true
}

// routingEndpoints is EndpointsWithoutTags, reusing the previous snapshot.
func (t *Table) routingEndpoints() source.Endpoints {
	order := t.order.update(t.endpoints)
	prev := t.routing
	reuse := prev.endpoints != nil && len(prev.touched) <= len(order)/4
	out := make(source.Endpoints, len(order))
	j := 0
	for i, x := range order {
		if reuse {
			for j < len(prev.order) && compareOrdered(prev.order[j], x) < 0 {
				j++
			}
			if j < len(prev.order) && prev.order[j] == x && !prev.touched[x.key] {
				out[i] = prev.endpoints[j]
				continue
			}
		}
		out[i] = t.endpoints[x.key].endpoint(x.key, nil, false)
	}
	t.routing = routingSnapshot{endpoints: out, order: order}
	return out
}

// touchRouting records that key's endpoint was added, replaced or removed.
func (t *Table) touchRouting(key endpointKey) {
	t.routing.touch(key)
	if t.changedHosts == nil {
		t.changedHosts = map[string]struct{}{}
	}
	t.changedHosts[source.URIHost(key.uri)] = struct{}{}
}

// TakeChangedHosts returns the hosts whose endpoints changed (an endpoint
// of one of its URIs was added, replaced or removed) since its previous
// call, sorted, and forgets them: the copilot's endpoints-first publish
// (ADR 20). The first call returns every host changed since the table
// was made.
func (t *Table) TakeChangedHosts() []string {
	hosts := make([]string, 0, len(t.changedHosts))
	for host := range t.changedHosts {
		hosts = append(hosts, host)
	}
	clear(t.changedHosts)
	slices.Sort(hosts)
	return hosts
}

// RoutingEndpointsOfHosts is EndpointsWithoutTags of hosts' URIs (`host`
// and `host/<path>`) alone, sorted the same way, found without building
// the whole snapshot: through the order of the last snapshot and the keys
// whose place changed since.
func (t *Table) RoutingEndpointsOfHosts(hosts []string) source.Endpoints {
	wanted := make(map[string]bool, len(hosts))
	for _, h := range hosts {
		wanted[h] = true
	}
	var keys []endpointKey
	if !t.order.built {
		for key := range t.endpoints {
			if wanted[source.URIHost(key.uri)] {
				keys = append(keys, key)
			}
		}
	} else {
		for _, h := range hosts {
			keys = t.order.keysOfHost(h, keys)
		}
		for key := range t.order.touched {
			if wanted[source.URIHost(key.uri)] {
				keys = append(keys, key)
			}
		}
	}
	var out source.Endpoints
	for _, key := range keys {
		if e, ok := t.endpoints[key]; ok {
			out = append(out, e.endpoint(key, nil, false))
		}
	}
	sortEndpoints(out)
	return out
}
