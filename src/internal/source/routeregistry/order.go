package routeregistry

import (
	"cmp"
	"slices"

	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// ordered is one endpoint's place in Endpoints' order.
type ordered struct {
	key           endpointKey
	port, tlsPort uint16
}

func compareOrdered(a, b ordered) int {
	return cmp.Or(
		cmp.Compare(a.key.uri, b.key.uri),
		cmp.Compare(a.key.address, b.key.address),
		cmp.Compare(a.port, b.port),
		cmp.Compare(a.tlsPort, b.tlsPort),
		compareBool(a.key.internal, b.key.internal),
	)
}

// endpointOrder keeps the table's endpoints sorted between snapshots. A
// snapshot after a few changes merges the changed endpoints into the
// previous order instead of sorting 100,000 again (issue 8: the sort was a
// third of the copilot's build, taken under the lock the NATS handlers
// wait for).
type endpointOrder struct {
	sorted []ordered
	built  bool
	// touched are the keys added, removed, or moved (their ports changed)
	// since sorted was built.
	touched map[endpointKey]bool
}

// touch records that key's place may have changed.
func (o *endpointOrder) touch(key endpointKey) {
	if !o.built {
		return
	}
	if o.touched == nil {
		o.touched = map[endpointKey]bool{}
	}
	o.touched[key] = true
}

// update brings the order up to date with all and returns it. The caller
// must not modify it; it may keep it (the routing snapshot does): an
// update never writes into an order it returned.
func (o *endpointOrder) update(all map[endpointKey]*entry) []ordered {
	switch {
	case !o.built || len(o.touched) > len(all)/4:
		o.sorted = make([]ordered, 0, len(all))
		for key, e := range all {
			o.sorted = append(o.sorted, ordered{key, e.port, e.tlsPort})
		}
		slices.SortFunc(o.sorted, compareOrdered)
	case len(o.touched) > 0:
		o.sorted = o.merged(all)
	}
	o.built = true
	clear(o.touched)
	return o.sorted
}

// merged is the previous order without the touched keys, merged with the
// touched keys still present, sorted: linear in the table, not n log n.
func (o *endpointOrder) merged(all map[endpointKey]*entry) []ordered {
	var fresh []ordered
	for key := range o.touched {
		if e, ok := all[key]; ok {
			fresh = append(fresh, ordered{key, e.port, e.tlsPort})
		}
	}
	slices.SortFunc(fresh, compareOrdered)
	out := make([]ordered, 0, len(all))
	for _, x := range o.sorted {
		if o.touched[x.key] {
			continue
		}
		for len(fresh) > 0 && compareOrdered(fresh[0], x) < 0 {
			out = append(out, fresh[0])
			fresh = fresh[1:]
		}
		out = append(out, x)
	}
	return append(out, fresh...)
}

// keysOfHost appends to keys the keys of host's URIs in the sorted order
// that were not touched since (the touched ones are looked up apart).
func (o *endpointOrder) keysOfHost(host string, keys []endpointKey) []endpointKey {
	source.EachURIOfHost(len(o.sorted), func(i int) string { return o.sorted[i].key.uri }, host, func(i int) {
		if !o.touched[o.sorted[i].key] {
			keys = append(keys, o.sorted[i].key)
		}
	})
	return keys
}
