package mesh

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"
)

// Namespace is the namespace every cf-mesh object lives in.
const Namespace = "cloudfoundry"

// Resource is one Istio configuration object.
type Resource struct {
	Kind      Kind
	Namespace string
	Name      string
	// Version is a hash of Spec, Labels and Annotations.
	Version string
	// Labels and Annotations are the object's metadata.
	Labels      map[string]string
	Annotations map[string]string
	// Spec is the Istio API message (e.g. *v1alpha3.VirtualService).
	Spec proto.Message
}

// Key is the object's MCP name, `namespace/name`.
func (r Resource) Key() string {
	return r.Namespace + "/" + r.Name
}

// NewResource builds a Resource and stamps its content version. It fails
// only when spec cannot be marshalled.
func NewResource(kind Kind, namespace, name string, spec proto.Message, labels, annotations map[string]string) (Resource, error) {
	r := Resource{Kind: kind, Namespace: namespace, Name: name, Spec: spec, Labels: labels, Annotations: annotations}
	version, err := contentVersion(r)
	if err != nil {
		return Resource{}, fmt.Errorf("%s %s: %w", kind, r.Key(), err)
	}
	r.Version = version
	return r, nil
}

func contentVersion(r Resource) (string, error) {
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(r.Spec)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write(body)
	writeSortedMap(h, r.Labels)
	writeSortedMap(h, r.Annotations)
	return hex.EncodeToString(h.Sum(nil)[:12]), nil
}

func writeSortedMap(h interface{ Write([]byte) (int, error) }, m map[string]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		h.Write([]byte{0})
		h.Write([]byte(k))
		h.Write([]byte{1})
		h.Write([]byte(m[k]))
	}
}

// CompareKeys orders resources by Key without building the keys (sorting
// 30,000 objects built 900,000 keys; issue 8).
func CompareKeys(a, b Resource) int {
	if a.Namespace == b.Namespace {
		return strings.Compare(a.Name, b.Name)
	}
	return strings.Compare(a.Key(), b.Key())
}

// Config is a complete mesh configuration: every object of every kind.
// Within a kind, resources are sorted by Key.
type Config struct {
	resources map[Kind][]Resource
}

// NewConfig builds a Config from resources of any kinds. It sorts each kind
// by Key and rejects two objects with the same kind and key.
func NewConfig(resources []Resource) (Config, error) {
	byKind := map[Kind][]Resource{}
	for _, r := range resources {
		byKind[r.Kind] = append(byKind[r.Kind], r)
	}
	for kind, list := range byKind {
		slices.SortFunc(list, CompareKeys)
		for i := 1; i < len(list); i++ {
			if CompareKeys(list[i], list[i-1]) == 0 {
				return Config{}, fmt.Errorf("duplicate %s %s", kind, list[i].Key())
			}
		}
	}
	return Config{resources: byKind}, nil
}

// ConfigOfSorted is a Config of collections already sorted by Key, each
// holding only objects of its kind: NewConfig without copying or sorting
// (the pilot's store builds one for every collection it accepts; issue 8).
// It checks the order, the kinds and that no two objects share a key. The
// slices must not be modified afterwards.
func ConfigOfSorted(byKind map[Kind][]Resource) (Config, error) {
	out := Config{resources: make(map[Kind][]Resource, len(byKind))}
	for kind, list := range byKind {
		for i, r := range list {
			if r.Kind != kind {
				return Config{}, fmt.Errorf("%s collection holds %s %s", kind, r.Kind, r.Key())
			}
			if i == 0 {
				continue
			}
			switch c := CompareKeys(list[i-1], r); {
			case c == 0:
				return Config{}, fmt.Errorf("duplicate %s %s", kind, r.Key())
			case c > 0:
				return Config{}, fmt.Errorf("%s collection is not sorted by key at %s", kind, r.Key())
			}
		}
		if len(list) > 0 {
			out.resources[kind] = list
		}
	}
	return out, nil
}

// Of returns the objects of one kind, sorted by Key. The slice must not be
// modified.
func (c Config) Of(kind Kind) []Resource {
	return c.resources[kind]
}

// Len is the number of objects of every kind.
func (c Config) Len() int {
	n := 0
	for _, list := range c.resources {
		n += len(list)
	}
	return n
}

// CollectionVersion is a version for the whole set of objects of one kind:
// it changes when any object of that kind is added, removed or changed.
func (c Config) CollectionVersion(kind Kind) string {
	h := sha256.New()
	for _, r := range c.resources[kind] {
		h.Write([]byte(r.Key()))
		h.Write([]byte{0})
		h.Write([]byte(r.Version))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// Updating is c with put in place of the objects of the same kind and key
// (or added, in key order) and the objects of remove's kinds and keys left
// out, and how many objects that changed: an object put in its own version
// is no change. c itself is unchanged; only the kinds that change are
// copied.
func (c Config) Updating(put, remove []Resource) (Config, int) {
	out := Config{resources: make(map[Kind][]Resource, len(c.resources))}
	maps.Copy(out.resources, c.resources)
	copied := map[Kind]bool{}
	edit := func(kind Kind) []Resource {
		if !copied[kind] {
			out.resources[kind], copied[kind] = slices.Clone(out.resources[kind]), true
		}
		return out.resources[kind]
	}
	n := 0
	for _, r := range put {
		i, found := slices.BinarySearchFunc(out.resources[r.Kind], r, CompareKeys)
		switch {
		case found && out.resources[r.Kind][i].Version == r.Version:
			continue
		case found:
			edit(r.Kind)[i] = r
		default:
			out.resources[r.Kind] = slices.Insert(edit(r.Kind), i, r)
		}
		n++
	}
	for _, r := range remove {
		if i, found := slices.BinarySearchFunc(out.resources[r.Kind], r, CompareKeys); found {
			out.resources[r.Kind] = slices.Delete(edit(r.Kind), i, i+1)
			n++
		}
	}
	return out, n
}
