package meshstore

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// Store is the last accepted collection of each subscribed kind. The zero
// value subscribes to nothing; use New.
type Store struct {
	// kinds are the subscribed kinds, in subscription order.
	kinds []mesh.Kind
	// received holds the collections received so far, each sorted by key.
	// It is never modified once a Store has been returned: Apply copies it.
	received map[mesh.Kind][]mesh.Resource
}

// New returns an empty, unsynced Store subscribed to kinds (duplicates are
// ignored).
func New(kinds []mesh.Kind) Store {
	var unique []mesh.Kind
	for _, k := range kinds {
		if !slices.Contains(unique, k) {
			unique = append(unique, k)
		}
	}
	return Store{kinds: unique, received: map[mesh.Kind][]mesh.Resource{}}
}

// Kinds returns the subscribed kinds.
func (s Store) Kinds() []mesh.Kind {
	return slices.Clone(s.kinds)
}

// Apply replaces the collection of kind with resources and returns the new
// Store. changed is true when this is the first collection of kind or when
// an object was added, removed or changed (by key and Version). A kind the
// Store does not subscribe to leaves it unchanged. The receiver is never
// modified.
func (s Store) Apply(kind mesh.Kind, resources []mesh.Resource) (Store, bool) {
	if !slices.Contains(s.kinds, kind) {
		return s, false
	}
	sorted := slices.Clone(resources)
	slices.SortStableFunc(sorted, mesh.CompareKeys)
	previous, seen := s.received[kind]
	if seen && sameObjects(previous, sorted) {
		return s, false
	}
	next := Store{kinds: s.kinds, received: maps.Clone(s.received)}
	next.received[kind] = sorted
	return next, true
}

// ApplyDelta applies an incremental update to the collection of kind and
// returns the new Store: objects in updated replace those with the same key
// or are added, keys in removed are deleted (removals first, so a key in
// both ends up updated). The first delta for a kind marks it received, even
// an empty one. changed is true when that happens or when an object was
// added, removed or changed (by key and Version); removing an absent key or
// re-sending an equal version is no change. A kind the Store does not
// subscribe to leaves it unchanged. The receiver is never modified.
func (s Store) ApplyDelta(kind mesh.Kind, updated []mesh.Resource, removed []string) (Store, bool) {
	if !slices.Contains(s.kinds, kind) {
		return s, false
	}
	previous, seen := s.received[kind]
	next, changed := mergeDelta(previous, updated, removed)
	if seen && !changed {
		return s, false
	}
	store := Store{kinds: s.kinds, received: maps.Clone(s.received)}
	store.received[kind] = next
	return store, true
}

// mergeDelta returns a new key-sorted collection: previous without removed,
// with updated put in place. A later entry of updated wins over an earlier
// one with the same key. It walks the sorted lists side by side, so a delta
// of a few objects costs no key string per object held (issue 8: the pilot
// merges one for every collection the copilot sends).
func mergeDelta(previous, updated []mesh.Resource, removed []string) ([]mesh.Resource, bool) {
	ups := sortedUpdates(updated)
	gone := make([]mesh.Resource, 0, len(removed))
	for _, key := range removed {
		namespace, name, _ := strings.Cut(key, "/")
		gone = append(gone, mesh.Resource{Namespace: namespace, Name: name})
	}
	slices.SortFunc(gone, mesh.CompareKeys)
	changed := false
	out := make([]mesh.Resource, 0, len(previous)+len(ups))
	u, g := 0, 0
	for _, r := range previous {
		for ; u < len(ups) && mesh.CompareKeys(ups[u], r) < 0; u++ {
			out, changed = append(out, ups[u]), true // added
		}
		if u < len(ups) && mesh.CompareKeys(ups[u], r) == 0 {
			changed = changed || ups[u].Version != r.Version || ups[u].Kind != r.Kind
			out = append(out, ups[u])
			u++
			continue
		}
		for g < len(gone) && mesh.CompareKeys(gone[g], r) < 0 {
			g++
		}
		if g < len(gone) && mesh.CompareKeys(gone[g], r) == 0 {
			changed = true
			continue
		}
		out = append(out, r)
	}
	if u < len(ups) {
		out, changed = append(out, ups[u:]...), true
	}
	return out, changed
}

// sortedUpdates is updated sorted by key, the last of equal keys kept.
func sortedUpdates(updated []mesh.Resource) []mesh.Resource {
	sorted := slices.Clone(updated)
	slices.SortStableFunc(sorted, mesh.CompareKeys)
	out := sorted[:0]
	for i, r := range sorted {
		if i+1 < len(sorted) && mesh.CompareKeys(sorted[i+1], r) == 0 {
			continue
		}
		out = append(out, r)
	}
	return out
}

// Versions returns the key and Version of every object of kind the Store
// holds, as a Delta xDS client declares them in initial_resource_versions
// when it reconnects. It is nil when kind has not been received.
func (s Store) Versions(kind mesh.Kind) map[string]string {
	list, ok := s.received[kind]
	if !ok {
		return nil
	}
	out := make(map[string]string, len(list))
	for _, r := range list {
		out[r.Key()] = r.Version
	}
	return out
}

// Received reports whether kind has been received at least once.
func (s Store) Received(kind mesh.Kind) bool {
	_, ok := s.received[kind]
	return ok
}

// sameObjects reports whether two key-sorted collections hold the same keys
// with the same versions.
func sameObjects(a, b []mesh.Resource) bool {
	return slices.EqualFunc(a, b, func(x, y mesh.Resource) bool {
		return x.Kind == y.Kind && x.Key() == y.Key() && x.Version == y.Version
	})
}

// Synced reports whether every subscribed kind has been received at least
// once.
func (s Store) Synced() bool {
	return len(s.Missing()) == 0
}

// Missing returns the subscribed kinds not received yet, in subscription
// order.
func (s Store) Missing() []mesh.Kind {
	var missing []mesh.Kind
	for _, k := range s.kinds {
		if _, ok := s.received[k]; !ok {
			missing = append(missing, k)
		}
	}
	return missing
}

// Len is the number of objects in the Store.
func (s Store) Len() int {
	n := 0
	for _, list := range s.received {
		n += len(list)
	}
	return n
}

// Config returns the whole mesh configuration. It fails while the Store is
// not synced, naming the kinds still missing, and when a collection holds
// two objects with the same key or an object of another kind.
func (s Store) Config() (mesh.Config, error) {
	if missing := s.Missing(); len(missing) > 0 {
		names := make([]string, len(missing))
		for i, k := range missing {
			names[i] = string(k)
		}
		return mesh.Config{}, fmt.Errorf("mesh store not synced: no %s received yet", strings.Join(names, ", "))
	}
	cfg, err := mesh.ConfigOfSorted(s.received)
	if err != nil {
		return mesh.Config{}, fmt.Errorf("mesh store: %w", err)
	}
	return cfg, nil
}
