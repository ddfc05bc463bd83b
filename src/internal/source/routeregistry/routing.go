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
	// changed are the URIs of the keys touched between the snapshot
	// before and this one, sorted; known is false for the first snapshot.
	changed []string
	known   bool
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
	t.routing = routingSnapshot{endpoints: out, order: order, known: prev.endpoints != nil}
	if t.routing.known {
		t.routing.changed = touchedURIs(prev.touched)
	}
	return out
}

// RoutingChanges are the URIs whose endpoints changed between the last two
// EndpointsWithoutTags snapshots, sorted (every touched key counts, also
// when the snapshot was built afresh); known is false after the first
// snapshot, which has none before it.
func (t *Table) RoutingChanges() (uris []string, known bool) {
	return t.routing.changed, t.routing.known
}

func touchedURIs(touched map[endpointKey]bool) []string {
	uris := make([]string, 0, len(touched))
	for key := range touched {
		uris = append(uris, key.uri)
	}
	slices.Sort(uris)
	return slices.Compact(uris)
}
