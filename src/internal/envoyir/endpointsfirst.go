package envoyir

import (
	"cmp"
	"slices"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// EndpointIndex is what the endpoints-first path (ADR 20) needs of one
// translation: every cluster it built, by host, with the ServiceEntry and
// DestinationRule its endpoints came from, and that translation's config.
// It is immutable, so the pilot reads it on another goroutine while the
// next translation runs.
type EndpointIndex struct {
	clusters map[string][]indexedCluster // by host
	config   mesh.Config
}

type indexedCluster struct {
	ref  clusterRef
	se   *networking.ServiceEntry
	rule *networking.DestinationRule
}

// EndpointIndex is the index of the previous Translate (empty before the
// first).
func (tr *Translator) EndpointIndex() EndpointIndex {
	out := EndpointIndex{clusters: make(map[string][]indexedCluster, len(tr.memo.endpoints)), config: tr.config}
	for ref, m := range tr.memo.endpoints {
		out.clusters[ref.host] = append(out.clusters[ref.host], indexedCluster{ref: ref, se: m.se, rule: m.rule})
	}
	return out
}

// EndpointChanges is what the endpoints-first path can send of a config
// ahead of its full translation.
type EndpointChanges struct {
	// LoadAssignments are those of indexed clusters, sorted by cluster.
	LoadAssignments []LoadAssignment
	// NewHosts are the endpoints of hosts that a new ServiceEntry claims
	// and the indexed translation built no cluster for (an instance's
	// per-instance host, ADR 19), sorted by host and port.
	NewHosts []HostEndpoints
	// GoneHosts are the per-instance hosts `<index>.<parent>` (ADR 19)
	// whose ServiceEntry went, no other claiming them, that the indexed
	// translation built clusters for; sorted.
	GoneHosts []string
	// EndpointsOnly is true when Translate(cfg) differs from the indexed
	// translation only in LoadAssignments, every changed one of which is
	// given, and in the instance identities and container IPs of its
	// Workloads: only the endpoints of ServiceEntries replaced in place
	// changed, naming the same apps, labels and ports, and no host is
	// contested.
	EndpointsOnly bool
	// InstanceHostsOnly is true when cfg differs from the indexed config
	// only in what EndpointsOnly allows (no host contested, every changed
	// load assignment given) and in per-instance hosts
	// `<index>.<parent>` (ADR 19) whose ServiceEntries, mesh-only
	// VirtualServices and DestinationRules came or went: an internal app's
	// instances starting and stopping. Translate(cfg) then differs also in
	// those hosts' own clusters, load assignments and mesh virtual hosts,
	// and in how sidecars reach them (ADR 20, third amendment).
	InstanceHostsOnly bool
}

// HostEndpoints are the endpoints a host's ServiceEntry gives on one of its
// ports: every workload entry's, as a cluster without a subset has them,
// sorted by address and port. Which clusters the host gets, if any, only
// the full translation decides.
type HostEndpoints struct {
	Host      string
	Port      uint32
	Endpoints []Endpoint
}

// Changes are the load assignments of the indexed clusters whose
// ServiceEntry cfg replaces while their DestinationRule stays the very
// same object, and the endpoints of the hosts a new ServiceEntry brings.
// Each load assignment equals the cluster's load assignment in
// Translate(cfg) whenever cfg still routes to that cluster; whether it
// does (and every other part of the IR) only the full translation
// decides, which the pilot runs as well.
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
//   - clusters the indexed translation did not build, but for the new
//     hosts' endpoints.
func (x EndpointIndex) Changes(cfg mesh.Config) EndpointChanges {
	if len(x.clusters) == 0 {
		return EndpointChanges{}
	}
	oldServices, newServices := changedObjects(x.config.Of(mesh.KindServiceEntry), cfg.Of(mesh.KindServiceEntry))
	if len(oldServices)+len(newServices) == 0 {
		return EndpointChanges{}
	}
	oldRules, newRules := changedObjects(x.config.Of(mesh.KindDestinationRule), cfg.Of(mesh.KindDestinationRule))
	ruleChanged := map[string]bool{}
	for _, r := range slices.Concat(oldRules, newRules) {
		ruleChanged[r.Spec.(*networking.DestinationRule).GetHost()] = true
	}
	t := newTranslation(nil, nil)
	out := EndpointChanges{EndpointsOnly: len(oldRules)+len(newRules) == 0 && x.endpointsOnly(cfg, oldServices, newServices)}
	replaced := replacedServices(oldServices, newServices)
	for host, se := range replaced {
		switch {
		case se.old == nil && len(x.clusters[host]) == 0:
			out.NewHosts = append(out.NewHosts, t.hostEndpoints(host, se.new)...)
			out.EndpointsOnly = false
		case ruleChanged[host]:
			out.EndpointsOnly = false
		default:
			out.LoadAssignments = append(out.LoadAssignments, x.replacedLoadAssignments(t, host, se)...)
		}
	}
	if !claimsEveryHost(replaced, newServices) {
		out.EndpointsOnly = false // a contested host is left to the full translation
	} else {
		out.InstanceHostsOnly = x.instanceHostsOnly(cfg)
	}
	out.GoneHosts = x.goneInstanceHosts(cfg, oldServices, replaced)
	slices.SortFunc(out.LoadAssignments, func(a, b LoadAssignment) int { return strings.Compare(a.Cluster, b.Cluster) })
	slices.SortFunc(out.NewHosts, func(a, b HostEndpoints) int {
		return cmp.Or(strings.Compare(a.Host, b.Host), cmp.Compare(a.Port, b.Port))
	})
	return out
}

// replacedLoadAssignments are the load assignments of host's indexed
// clusters that se's new version gives, where the indexed translation
// took its old version for them (where it took an unchanged object, they
// stay as they are).
func (x EndpointIndex) replacedLoadAssignments(t *translation, host string, se serviceVersions) []LoadAssignment {
	var out []LoadAssignment
	for _, c := range x.clusters[host] {
		if c.se == se.old {
			out = append(out, LoadAssignment{Cluster: ClusterName(c.ref.port, c.ref.subset, c.ref.host), Endpoints: t.endpoints(c.ref, se.new, c.rule)})
		}
	}
	return out
}

// goneInstanceHosts are the per-instance hosts that a changed ServiceEntry
// of the indexed config claimed, that the indexed translation built
// clusters for, and that no ServiceEntry of cfg claims.
func (x EndpointIndex) goneInstanceHosts(cfg mesh.Config, old []mesh.Resource, replaced map[string]serviceVersions) []string {
	var gone []string
	for _, r := range old {
		for _, host := range r.Spec.(*networking.ServiceEntry).GetHosts() {
			_, claimed := replaced[host]
			if _, _, instance := mesh.InstanceHost(host); instance && !claimed && len(x.clusters[host]) > 0 && !claimedIn(cfg, host) {
				gone = append(gone, host)
			}
		}
	}
	slices.Sort(gone)
	return slices.Compact(gone)
}

// claimedIn reports whether a ServiceEntry of cfg claims host.
func claimedIn(cfg mesh.Config, host string) bool {
	return slices.ContainsFunc(cfg.Of(mesh.KindServiceEntry), func(r mesh.Resource) bool {
		return slices.Contains(r.Spec.(*networking.ServiceEntry).GetHosts(), host)
	})
}

// claimsEveryHost reports whether replaced has every host that a changed
// ServiceEntry claims.
func claimsEveryHost(replaced map[string]serviceVersions, changed []mesh.Resource) bool {
	for _, r := range changed {
		for _, host := range r.Spec.(*networking.ServiceEntry).GetHosts() {
			if _, ok := replaced[host]; !ok {
				return false
			}
		}
	}
	return true
}

// hostEndpoints are the endpoints se gives host on each of its ports.
func (t *translation) hostEndpoints(host string, se *networking.ServiceEntry) []HostEndpoints {
	var out []HostEndpoints
	for _, p := range se.GetPorts() {
		ref := clusterRef{host: host, port: p.GetNumber()}
		out = append(out, HostEndpoints{Host: host, Port: ref.port, Endpoints: t.endpoints(ref, se, nil)})
	}
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
