package envoyir

import (
	"maps"
	"slices"

	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// Translator is Translate with a memory of its previous call (issue 8): a
// part of the IR whose inputs are the very same objects as last time (by
// pointer: the pilot's mesh store keeps an unchanged object's Spec across
// Delta MCP updates) is taken from that call instead of being built again.
// Remembered, each with the problems it reported:
//   - a cluster's endpoints, by cluster, valid while its host's
//     ServiceEntry and DestinationRule are the same objects;
//   - a VirtualService host's virtual host and the clusters it names,
//     valid while the VirtualService and every ServiceEntry it read are;
//   - the workload index, to which only the ServiceEntries that came or
//     went are applied.
//
// Mesh objects are immutable: a changed object is a new Spec. The result is
// always exactly what Translate returns for the same config. What the
// latest call did not use is forgotten, so an old config is not held alive.
//
// A Translator is not safe for concurrent use.
type Translator struct {
	memo      *memo
	workloads *workloadIndex
	// config is the last config translated, for its EndpointIndex.
	config mesh.Config
	// Checkpoint, when set, is called between the units of a Translate
	// (a virtual host, a cluster's endpoints, a step): a runner may block
	// in it to give the CPU to more urgent work (ADR 20, third
	// amendment). It must not call the Translator; it cannot change the
	// result.
	Checkpoint func()
}

// NewTranslator returns a Translator that remembers nothing yet.
func NewTranslator() *Translator {
	return &Translator{memo: newMemo(), workloads: newWorkloadIndex()}
}

// Translate is Translate(cfg), reusing what the previous call built from
// the same objects.
func (tr *Translator) Translate(cfg mesh.Config) (IR, []error) {
	tr.memo.generation++
	t := newTranslation(tr.memo, tr.workloads)
	t.checkpoint = tr.Checkpoint
	t.run(cfg)
	tr.memo.sweep()
	tr.config = cfg
	return t.ir, t.errs
}

// memo is what translations built, each entry stamped with the generation
// (translation) that last used it.
type memo struct {
	generation uint64
	endpoints  map[clusterRef]*endpointsMemo
	vhosts     map[vhostKey]*vhostMemo
}

func newMemo() *memo {
	return &memo{endpoints: map[clusterRef]*endpointsMemo{}, vhosts: map[vhostKey]*vhostMemo{}}
}

// sweep forgets what the latest translation did not use.
func (m *memo) sweep() {
	maps.DeleteFunc(m.endpoints, func(_ clusterRef, e *endpointsMemo) bool { return e.generation != m.generation })
	maps.DeleteFunc(m.vhosts, func(_ vhostKey, v *vhostMemo) bool { return v.generation != m.generation })
}

type endpointsMemo struct {
	generation uint64
	se         *networking.ServiceEntry
	rule       *networking.DestinationRule
	endpoints  []Endpoint
	errs       []error
}

// clusterEndpoints is endpoints, remembered.
func (t *translation) clusterEndpoints(ref clusterRef, se *networking.ServiceEntry, rule *networking.DestinationRule) []Endpoint {
	t.yield()
	if t.memo == nil {
		return t.endpoints(ref, se, rule)
	}
	if m := t.memo.endpoints[ref]; m != nil && m.se == se && m.rule == rule {
		m.generation = t.memo.generation
		t.errs = append(t.errs, m.errs...)
		return m.endpoints
	}
	before := len(t.errs)
	out := t.endpoints(ref, se, rule)
	t.memo.endpoints[ref] = &endpointsMemo{generation: t.memo.generation, se: se, rule: rule, endpoints: out, errs: slices.Clone(t.errs[before:])}
	return out
}

// vhostKey names one host of one VirtualService object.
type vhostKey struct {
	vs   *networking.VirtualService
	host string
}

// vhostMemo is a built virtual host with what building it read (the
// ServiceEntry found for each host, nil when none) and named.
type vhostMemo struct {
	generation      uint64
	namespace, name string // the VirtualService's, which its problems name
	vhost           VirtualHost
	ok              bool
	services        map[string]*networking.ServiceEntry
	clusters        []clusterRef
	errs            []error
}

// memoVirtualHost is virtualHost for one host of vs, remembered.
func (t *translation) memoVirtualHost(r mesh.Resource, vs *networking.VirtualService, host string) (VirtualHost, bool) {
	t.yield()
	if t.memo == nil {
		return t.virtualHost(r, host, vs.GetHttp())
	}
	key := vhostKey{vs: vs, host: host}
	if m := t.memo.vhosts[key]; m != nil && m.namespace == r.Namespace && m.name == r.Name && t.sameServices(m.services) {
		m.generation = t.memo.generation
		for _, ref := range m.clusters {
			t.clusters[ref] = true
		}
		t.errs = append(t.errs, m.errs...)
		return m.vhost, m.ok
	}
	m := &vhostMemo{generation: t.memo.generation, namespace: r.Namespace, name: r.Name, services: map[string]*networking.ServiceEntry{}}
	before := len(t.errs)
	t.recording = m
	m.vhost, m.ok = t.virtualHost(r, host, vs.GetHttp())
	t.recording = nil
	m.errs = slices.Clone(t.errs[before:])
	t.memo.vhosts[key] = m
	return m.vhost, m.ok
}

func (t *translation) sameServices(read map[string]*networking.ServiceEntry) bool {
	for host, se := range read {
		if t.services[host] != se {
			return false
		}
	}
	return true
}

// service is the ServiceEntry of host (nil when none), noted as read while
// a virtual host is recorded.
func (t *translation) service(host string) *networking.ServiceEntry {
	se := t.services[host]
	if t.recording != nil {
		t.recording.services[host] = se
	}
	return se
}

// useCluster marks a cluster as named by a route, noted while a virtual
// host is recorded.
func (t *translation) useCluster(ref clusterRef) {
	t.clusters[ref] = true
	if t.recording != nil {
		t.recording.clusters = append(t.recording.clusters, ref)
	}
}
