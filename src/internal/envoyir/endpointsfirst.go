package envoyir

import (
	"slices"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// EndpointIndex is what the endpoints-first path (ADR 20) needs of one
// translation: every cluster it built, by host, with the ServiceEntry and
// DestinationRule its endpoints came from, and that translation's
// ServiceEntries and DestinationRules. It is immutable, so the pilot reads
// it on another goroutine while the next translation runs.
type EndpointIndex struct {
	clusters        map[string][]indexedCluster // by host
	services, rules []mesh.Resource
}

type indexedCluster struct {
	ref  clusterRef
	se   *networking.ServiceEntry
	rule *networking.DestinationRule
}

// EndpointIndex is the index of the previous Translate (empty before the
// first).
func (tr *Translator) EndpointIndex() EndpointIndex {
	out := EndpointIndex{clusters: make(map[string][]indexedCluster, len(tr.memo.endpoints)), services: tr.services, rules: tr.rules}
	for ref, m := range tr.memo.endpoints {
		out.clusters[ref.host] = append(out.clusters[ref.host], indexedCluster{ref: ref, se: m.se, rule: m.rule})
	}
	return out
}

// Changes are the load assignments of the indexed clusters whose
// ServiceEntry cfg replaces while their DestinationRule stays the very
// same object, sorted by cluster. Each equals the cluster's load
// assignment in Translate(cfg) whenever cfg still routes to that cluster;
// whether it does (and every other part of the IR) only the full
// translation decides, which the pilot runs as well.
//
// It compares cfg's ServiceEntries and DestinationRules with the indexed
// translation's, object by object (an unchanged object is the very same
// one), and builds only the changed hosts' clusters: a few changed
// objects cost a walk of two sorted lists, not an index of every host.
//
// Left out, to the full translation, which reports any problem:
//   - hosts that lost their ServiceEntry, or whose DestinationRule
//     changed or went (their subsets, hence their endpoints, may be gone);
//   - hosts claimed by more than one changed ServiceEntry, or whose
//     indexed choice was an unchanged one (which one Translate picks then
//     depends on the order of several objects);
//   - clusters the indexed translation did not build.
func (x EndpointIndex) Changes(cfg mesh.Config) []LoadAssignment {
	if len(x.clusters) == 0 {
		return nil
	}
	oldServices, newServices := changedObjects(x.services, cfg.Of(mesh.KindServiceEntry))
	if len(oldServices)+len(newServices) == 0 {
		return nil
	}
	oldRules, newRules := changedObjects(x.rules, cfg.Of(mesh.KindDestinationRule))
	ruleChanged := map[string]bool{}
	for _, r := range slices.Concat(oldRules, newRules) {
		ruleChanged[r.Spec.(*networking.DestinationRule).GetHost()] = true
	}
	replaced := replacedServices(oldServices, newServices)
	t := newTranslation(nil, nil)
	var out []LoadAssignment
	for host, se := range replaced {
		if ruleChanged[host] {
			continue
		}
		for _, c := range x.clusters[host] {
			if c.se != se.old {
				continue // the indexed translation chose an unchanged object for host
			}
			out = append(out, LoadAssignment{Cluster: ClusterName(c.ref.port, c.ref.subset, c.ref.host), Endpoints: t.endpoints(c.ref, se.new, c.rule)})
		}
	}
	slices.SortFunc(out, func(a, b LoadAssignment) int { return strings.Compare(a.Cluster, b.Cluster) })
	return out
}

// serviceVersions are the old and new version of the one ServiceEntry
// that changed for a host (old is nil when that object did not claim the
// host before).
type serviceVersions struct {
	old, new *networking.ServiceEntry
}

// replacedServices are the hosts that exactly one changed ServiceEntry
// claims in its new version (and in its old one, if any), under one key:
// that object keeps its place in the sorted list, so where it was
// Translate's choice for the host (the first claim), or the host had no
// ServiceEntry, its new version is.
func replacedServices(old, new []mesh.Resource) map[string]serviceVersions {
	type claim struct {
		key      string
		old, new *networking.ServiceEntry
		claims   int
	}
	claims := map[string]*claim{}
	note := func(r mesh.Resource, isNew bool) {
		se := r.Spec.(*networking.ServiceEntry)
		for _, host := range se.GetHosts() {
			c := claims[host]
			if c == nil {
				c = &claim{key: r.Key()}
				claims[host] = c
			}
			if c.key != r.Key() {
				c.claims = 2 // two objects
			}
			if isNew {
				c.new = se
			} else {
				c.old = se
			}
		}
	}
	for _, r := range old {
		note(r, false)
	}
	for _, r := range new {
		note(r, true)
	}
	out := map[string]serviceVersions{}
	for host, c := range claims {
		if c.claims < 2 && c.new != nil {
			out[host] = serviceVersions{old: c.old, new: c.new}
		}
	}
	return out
}

// changedObjects walks two sorted collections and returns the objects of
// before that after does not hold as the very same object (changed or
// gone), and those of after that before did not (changed or new). A
// collection that did not change at all is the same slice.
func changedObjects(before, after []mesh.Resource) (gone, came []mesh.Resource) {
	if len(before) == len(after) && (len(before) == 0 || &before[0] == &after[0]) {
		return nil, nil
	}
	i, j := 0, 0
	for i < len(before) && j < len(after) {
		switch c := mesh.CompareKeys(before[i], after[j]); {
		case c < 0:
			gone = append(gone, before[i])
			i++
		case c > 0:
			came = append(came, after[j])
			j++
		default:
			if before[i].Spec != after[j].Spec {
				gone, came = append(gone, before[i]), append(came, after[j])
			}
			i, j = i+1, j+1
		}
	}
	return append(gone, before[i:]...), append(came, after[j:]...)
}
