package mcp

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// DeltaResource is one object of an incremental (Delta xDS) response as the
// transport carries it: the xDS resource name (`namespace/name`) and version
// beside the MCP resource Any that EncodeResource produced.
type DeltaResource struct {
	Name    string
	Version string
	Body    *anypb.Any
}

// Delta is one decoded incremental response for one collection.
type Delta struct {
	// Updated are the objects added or changed, sorted by key.
	Updated []mesh.Resource
	// Removed are the keys (`namespace/name`) of deleted objects, sorted.
	Removed []string
	// Rejected names every entry that failed to decode. The receiver keeps
	// its last good state for those names and NACKs the response.
	Rejected []error
}

// Err joins the rejections; it is nil when every entry was accepted.
func (d Delta) Err() error {
	return errors.Join(d.Rejected...)
}

// DecodeDelta parses an incremental response for the collection typeURL
// (`group/version/Kind`). Unlike DecodeCollection it judges each entry on
// its own, because a delta carries changes, not a whole collection: a bad
// object must not hold back the good ones beside it. An entry is rejected
// when DecodeResource rejects its body, when its xDS name is empty or differs
// from the body's metadata name, when its name occurs twice (all occurrences
// are rejected, removals included: which one is meant cannot be told), or
// when a removed name is not `namespace/name`. The xDS version, when set,
// is the object's Version. An unknown collection fails the whole response.
func DecodeDelta(typeURL string, updated []DeltaResource, removed []string) (Delta, error) {
	info, bodyType, err := collectionTypes(typeURL)
	if err != nil {
		return Delta{}, err
	}
	ambiguous := ambiguousNames(updated, removed)
	var d Delta
	for i, entry := range updated {
		r, err := decodeDeltaEntry(info, bodyType, entry, ambiguous)
		if err != nil {
			d.Rejected = append(d.Rejected, fmt.Errorf("%s resource %d (%q): %w", typeURL, i, entry.Name, err))
			continue
		}
		d.Updated = append(d.Updated, r)
	}
	for _, name := range removed {
		if _, _, err := splitName(name); err != nil {
			d.Rejected = append(d.Rejected, fmt.Errorf("%s removed resource: %w", typeURL, err))
			continue
		}
		if ambiguous[name] {
			d.Rejected = append(d.Rejected, fmt.Errorf("%s removed resource %q: also updated in the same response", typeURL, name))
			continue
		}
		if !slices.Contains(d.Removed, name) {
			d.Removed = append(d.Removed, name)
		}
	}
	slices.SortFunc(d.Updated, func(a, b mesh.Resource) int { return strings.Compare(a.Key(), b.Key()) })
	slices.Sort(d.Removed)
	return d, nil
}

// ambiguousNames are the names updated twice, or both updated and removed.
func ambiguousNames(updated []DeltaResource, removed []string) map[string]bool {
	count := make(map[string]int, len(updated))
	for _, entry := range updated {
		count[entry.Name]++
	}
	out := map[string]bool{}
	for name, n := range count {
		if n > 1 {
			out[name] = true
		}
	}
	for _, name := range removed {
		if count[name] > 0 {
			out[name] = true
		}
	}
	return out
}

func decodeDeltaEntry(info mesh.KindInfo, bodyType protoreflect.MessageType, entry DeltaResource, ambiguous map[string]bool) (mesh.Resource, error) {
	switch {
	case entry.Name == "":
		return mesh.Resource{}, errors.New("no resource name")
	case ambiguous[entry.Name]:
		return mesh.Resource{}, errors.New("name occurs more than once in the response")
	}
	r, err := decodeResource(info, bodyType, entry.Body)
	if err != nil {
		return mesh.Resource{}, err
	}
	if r.Key() != entry.Name {
		return mesh.Resource{}, fmt.Errorf("metadata name %q differs from the resource name", r.Key())
	}
	if entry.Version != "" {
		r.Version = entry.Version
	}
	return r, nil
}
