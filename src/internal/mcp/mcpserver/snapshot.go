package mcpserver

import (
	"slices"

	"google.golang.org/protobuf/types/known/anypb"

	"code.cloudfoundry.org/cf-mesh/internal/mcp"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// snapshot is one published Config, encoded once and shared by all streams.
// It and its collections are immutable.
type snapshot struct {
	collections map[mesh.Kind]*collection
	// marker is the build marker naming this snapshot (buildmarker.go),
	// served as a collection of one resource whose version is the build.
	marker *collection
}

// of returns the collection a subscription is served from, nil when it is
// never answered.
func (snap *snapshot) of(how subscriptionKind, kind mesh.Kind) *collection {
	switch how {
	case served:
		return snap.collections[kind]
	case marker:
		return snap.marker
	case empty:
		return emptyCollection
	}
	return nil
}

// collection is the encoded objects of one kind, in key order.
type collection struct {
	version string
	// resources is the State-of-the-World body; keys and versions run
	// parallel to it and index maps a key to its position.
	resources []*anypb.Any
	keys      []string
	versions  []string
	index     map[string]int
	// base is the version of the collection this one was built from ("" if
	// none) and changed the keys added, changed or removed since then,
	// sorted. A Delta stream whose client holds base compares only changed.
	base    string
	changed []string
}

// emptyCollection answers collections cf-mesh does not produce.
var emptyCollection = &collection{version: mesh.Config{}.CollectionVersion(mesh.KindGateway), index: map[string]int{}}

// buildStats says how much work a Publish did.
type buildStats struct {
	changedKinds []mesh.Kind
	encoded      int // objects encoded
	reused       int // objects whose previous encoding was kept
}

// buildSnapshot encodes cfg, reusing the previous snapshot's collections
// whose version is unchanged and, within a changed collection, the previous
// encoding of every object whose key and version are unchanged: a Publish
// that moves one endpoint encodes one ServiceEntry.
func buildSnapshot(cfg mesh.Config, previous *snapshot) (*snapshot, buildStats, error) {
	next := &snapshot{collections: map[mesh.Kind]*collection{}}
	var stats buildStats
	for _, info := range mesh.Kinds() {
		var before *collection
		if previous != nil {
			before = previous.collections[info.Kind]
		}
		objects := cfg.Of(info.Kind)
		if before != nil && sameKeys(before.keys, objects) && sameVersions(before.versions, objects) {
			// Same keys and versions mean the same CollectionVersion, which
			// is not worth hashing 10,000 objects to learn.
			next.collections[info.Kind] = before
			continue
		}
		c, err := buildCollection(cfg.CollectionVersion(info.Kind), objects, before, &stats)
		if err != nil {
			return nil, buildStats{}, err
		}
		next.collections[info.Kind] = c
		stats.changedKinds = append(stats.changedKinds, info.Kind)
	}
	marker, err := buildMarker(next, previous)
	if err != nil {
		return nil, buildStats{}, err
	}
	next.marker = marker
	return next, stats, nil
}

func buildCollection(version string, objects []mesh.Resource, before *collection, stats *buildStats) (*collection, error) {
	c := &collection{
		version:   version,
		resources: make([]*anypb.Any, len(objects)),
		versions:  make([]string, len(objects)),
	}
	if before != nil {
		c.base = before.version
	}
	c.keys, c.index = collectionKeys(before, objects)
	for i, r := range objects {
		c.versions[i] = r.Version
		if before != nil {
			if j, ok := before.index[c.keys[i]]; ok && before.versions[j] == r.Version {
				c.resources[i] = before.resources[j]
				stats.reused++
				continue
			}
		}
		encoded, err := mcp.EncodeResource(r)
		if err != nil {
			return nil, err
		}
		c.resources[i] = encoded
		c.changed = append(c.changed, c.keys[i])
		stats.encoded++
	}
	if before != nil {
		for _, key := range before.keys {
			if _, ok := c.index[key]; !ok {
				c.changed = append(c.changed, key) // removed
			}
		}
	}
	slices.Sort(c.changed)
	return c, nil
}

// collectionKeys returns the keys of objects and their index. When only
// versions changed (an endpoint moved, a weight changed) the previous
// collection's key list and index are immutable and shared.
func collectionKeys(before *collection, objects []mesh.Resource) ([]string, map[string]int) {
	if before != nil && sameKeys(before.keys, objects) {
		return before.keys, before.index
	}
	keys, index := make([]string, len(objects)), make(map[string]int, len(objects))
	for i, r := range objects {
		keys[i] = r.Key()
		index[keys[i]] = i
	}
	return keys, index
}

// sameVersions reports whether objects carry exactly versions, in order.
func sameVersions(versions []string, objects []mesh.Resource) bool {
	if len(versions) != len(objects) {
		return false
	}
	for i, r := range objects {
		if versions[i] != r.Version {
			return false
		}
	}
	return true
}

// sameKeys reports whether objects carry exactly keys, in order, without
// building their keys.
func sameKeys(keys []string, objects []mesh.Resource) bool {
	if len(keys) != len(objects) {
		return false
	}
	for i, r := range objects {
		k, ns := keys[i], len(r.Namespace)
		if len(k) != ns+1+len(r.Name) || k[:ns] != r.Namespace || k[ns] != '/' || k[ns+1:] != r.Name {
			return false
		}
	}
	return true
}
