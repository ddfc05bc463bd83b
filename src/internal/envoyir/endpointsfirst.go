package envoyir

import (
	"slices"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// EndpointIndex is what the endpoints-first path (ADR 20) needs of one
// translation: every cluster it built, with the ServiceEntry and
// DestinationRule its endpoints came from. It is immutable, so the pilot
// reads it on another goroutine while the next translation runs.
type EndpointIndex struct {
	clusters []indexedCluster
}

type indexedCluster struct {
	ref  clusterRef
	se   *networking.ServiceEntry
	rule *networking.DestinationRule
}

// EndpointIndex is the index of the previous Translate (empty before the
// first).
func (tr *Translator) EndpointIndex() EndpointIndex {
	out := EndpointIndex{clusters: make([]indexedCluster, 0, len(tr.memo.endpoints))}
	for ref, m := range tr.memo.endpoints {
		out.clusters = append(out.clusters, indexedCluster{ref: ref, se: m.se, rule: m.rule})
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
// Left out: clusters whose host lost its ServiceEntry or whose
// DestinationRule changed or went (their subsets, hence their endpoints,
// may be gone), and clusters the indexed translation did not build.
// Problems are left to the full translation, which reports them.
func (x EndpointIndex) Changes(cfg mesh.Config) []LoadAssignment {
	if len(x.clusters) == 0 {
		return nil
	}
	t := newTranslation(nil, nil)
	t.indexServices(cfg.Of(mesh.KindServiceEntry))
	t.indexRules(cfg.Of(mesh.KindDestinationRule))
	var out []LoadAssignment
	for _, c := range x.clusters {
		se, rule := t.services[c.ref.host], t.rules[c.ref.host]
		if se == nil || se == c.se || rule != c.rule {
			continue
		}
		out = append(out, LoadAssignment{Cluster: ClusterName(c.ref.port, c.ref.subset, c.ref.host), Endpoints: t.endpoints(c.ref, se, rule)})
	}
	slices.SortFunc(out, func(a, b LoadAssignment) int { return strings.Compare(a.Cluster, b.Cluster) })
	return out
}
