package xdsresources

import (
	"slices"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// Per-instance hosts for container sidecars (ADR 19). Route-emitter
// registers every instance of an internal route `app.apps.internal` under
// `<index>.app.apps.internal` as well. Sidecars reach such a host through
// the parent host's cluster, choosing the instance with Envoy's subset load
// balancer, instead of through a cluster of its own: an instance that comes
// or goes then changes the parent's load assignment and the sidecars' route
// configuration, never their clusters (State of the World resends every
// cluster when one is added or removed). Gateways and proxyless gRPC
// clients (grpc-go has no subset load balancer) keep the host's own cluster.

const (
	// subsetMetadataKey is the filter metadata namespace of Envoy's subset
	// load balancer, in endpoint metadata and in a route's metadata_match.
	subsetMetadataKey = "envoy.lb"
	// InstanceIndexKey holds the instance index of a parent host's
	// endpoint that is also the endpoint of `<index>.<parent>`.
	InstanceIndexKey = "cf_instance_index"
)

// instanceRoute is where sidecars send a per-instance host's cluster: the
// parent host's cluster, selecting the endpoints labelled with the index.
type instanceRoute struct {
	parent, index string
}

// instanceEndpoints is a per-instance cluster's load assignment and its
// index: what labels the parent's endpoints.
type instanceEndpoints struct {
	index string
	la    envoyir.LoadAssignment
}

// instancePlan is which per-instance clusters sidecars reach through their
// parent's: routes by per-instance cluster, and the instances each parent
// cluster labels, in cluster name order.
type instancePlan struct {
	routes    map[string]instanceRoute
	instances map[string][]instanceEndpoints
}

// hostPort names the sidecar clusters of one host and port.
type hostPort struct {
	host string
	port uint32
}

// candidate is a per-instance cluster that may be folded into a parent's
// (clusters by their index in the IR).
type candidate struct {
	cluster, parent int
	index           string
}

// planInstances folds a per-instance cluster into its parent's only when
// that is safe, and keeps it as its own cluster otherwise:
//   - its host is `<digits>.<parent>` and parent is a sidecar host served
//     on the cluster's port;
//   - a sidecar cluster of the parent on that port holds every endpoint of
//     it (by address and port; the first such cluster by name is chosen,
//     whatever its subset: a Cloud Controller destination is named by its
//     process, a NATS-only per-instance one by its app);
//   - that parent cluster is not folded itself, and no endpoint of it
//     would be labelled with two indexes.
//
// It runs on every translation, so it looks at the clusters of hosts that
// begin with a digit and at their parents' only.
func planInstances(ir envoyir.IR, hosts []envoyir.VirtualHost, scope map[string]bool) instancePlan {
	plan := instancePlan{routes: map[string]instanceRoute{}, instances: map[string][]instanceEndpoints{}}
	las := loadAssignments{ir: ir}
	parents := parentClusters(ir, hosts, scope)
	var candidates []candidate
	for i, c := range ir.Clusters {
		index, parent, ok := perInstanceHost(c.Host)
		if !ok || !scope[c.Name] {
			continue
		}
		for _, p := range parents[hostPort{parent, c.Port}] {
			if holdsAll(las.of(p).Endpoints, las.of(i).Endpoints) {
				candidates = append(candidates, candidate{cluster: i, parent: p, index: index})
				break
			}
		}
	}
	for _, c := range safe(candidates, las) {
		parent, la := ir.Clusters[c.parent].Name, las.of(c.cluster)
		plan.routes[la.Cluster] = instanceRoute{parent: parent, index: c.index}
		plan.instances[parent] = append(plan.instances[parent], instanceEndpoints{index: c.index, la: la})
	}
	return plan
}

// parentClusters are the sidecar clusters, by host and port, of every host
// in the sidecars' scope that a per-instance host names as its parent, on
// the ports that host is served on.
func parentClusters(ir envoyir.IR, hosts []envoyir.VirtualHost, scope map[string]bool) map[hostPort][]int {
	wanted := map[string]bool{}
	for _, h := range hosts {
		if _, parent, ok := perInstanceHost(h.Name); ok {
			wanted[parent] = true
		}
	}
	out := map[hostPort][]int{}
	if len(wanted) == 0 {
		return out
	}
	for _, h := range hosts {
		if wanted[h.Name] {
			for _, port := range h.ServicePorts {
				out[hostPort{h.Name, port}] = nil
			}
		}
	}
	for i, c := range ir.Clusters {
		key := hostPort{c.Host, c.Port}
		if clusters, ok := out[key]; ok && scope[c.Name] {
			out[key] = append(clusters, i)
		}
	}
	return out
}

// safe are the candidates whose parent is not a candidate itself and
// which share no endpoint of their parent with a candidate of another
// index.
func safe(candidates []candidate, las loadAssignments) []candidate {
	type claim struct {
		parent  int
		address string
		port    uint32
	}
	claims := map[claim]string{}
	conflicts := map[claim]bool{}
	folded := map[int]bool{}
	for _, c := range candidates {
		folded[c.cluster] = true
		for _, e := range las.of(c.cluster).Endpoints {
			k := claim{c.parent, e.Address, e.Port}
			if index, seen := claims[k]; seen && index != c.index {
				conflicts[k] = true
			}
			claims[k] = c.index
		}
	}
	return slices.DeleteFunc(slices.Clone(candidates), func(c candidate) bool {
		return folded[c.parent] || slices.ContainsFunc(las.of(c.cluster).Endpoints, func(e envoyir.Endpoint) bool {
			return conflicts[claim{c.parent, e.Address, e.Port}]
		})
	})
}

// loadAssignments finds a cluster's load assignment: envoyir builds them
// in the clusters' order, and a map is built only for an IR that is not.
type loadAssignments struct {
	ir     envoyir.IR
	byName map[string]int
}

func (l *loadAssignments) of(cluster int) envoyir.LoadAssignment {
	name := l.ir.Clusters[cluster].Name
	if cluster < len(l.ir.LoadAssignments) && l.ir.LoadAssignments[cluster].Cluster == name {
		return l.ir.LoadAssignments[cluster]
	}
	if l.byName == nil {
		l.byName = make(map[string]int, len(l.ir.LoadAssignments))
		for i, la := range l.ir.LoadAssignments {
			l.byName[la.Cluster] = i
		}
	}
	if i, ok := l.byName[name]; ok {
		return l.ir.LoadAssignments[i]
	}
	return envoyir.LoadAssignment{Cluster: name}
}

// perInstanceHost splits `<digits>.<parent>` (mesh.InstanceHost).
func perInstanceHost(host string) (index, parent string, ok bool) {
	return mesh.InstanceHost(host)
}

// holdsAll reports whether every endpoint of some is one of all's, by
// address and port. Both are sorted by address and port, as envoyir sorts
// them; an unsorted list can only make it answer no (keep the cluster).
func holdsAll(all, some []envoyir.Endpoint) bool {
	for _, e := range some {
		if _, found := slices.BinarySearchFunc(all, e, compareEndpoints); !found {
			return false
		}
	}
	return true
}

func compareEndpoints(a, b envoyir.Endpoint) int {
	if c := strings.Compare(a.Address, b.Address); c != 0 {
		return c
	}
	return int(a.Port) - int(b.Port)
}

// instanceSubsets is every sidecar cluster's subset load balancing: a
// request with no instance to match (the parent host's) balances over all
// endpoints; one for instance n goes to the endpoints labelled n, or gets
// 503 when there are none, never another instance. Every sidecar cluster
// carries it, whether or not per-instance hosts are folded into it, so an
// app gaining its first instance or losing its last changes no cluster.
func instanceSubsets() *clusterv3.Cluster_LbSubsetConfig {
	return &clusterv3.Cluster_LbSubsetConfig{
		FallbackPolicy: clusterv3.Cluster_LbSubsetConfig_ANY_ENDPOINT,
		SubsetSelectors: []*clusterv3.Cluster_LbSubsetConfig_LbSubsetSelector{{
			Keys:           []string{InstanceIndexKey},
			FallbackPolicy: clusterv3.Cluster_LbSubsetConfig_LbSubsetSelector_NO_FALLBACK,
		}},
	}
}

// instanceMetadata labels an endpoint, or matches a route, by instance
// index.
func instanceMetadata(index string) *corev3.Metadata {
	return &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{
		subsetMetadataKey: {Fields: map[string]*structpb.Value{InstanceIndexKey: structpb.NewStringValue(index)}},
	}}
}

// parentEndpoints is what a parent cluster's sidecar load assignment is
// built from.
type parentEndpoints struct {
	la        envoyir.LoadAssignment
	instances []instanceEndpoints
}

func equalParentEndpoints(a, b parentEndpoints) bool {
	return equalLoadAssignments(a.la, b.la) && slices.EqualFunc(a.instances, b.instances, func(x, y instanceEndpoints) bool {
		return x.index == y.index && equalLoadAssignments(x.la, y.la)
	})
}

// sidecarParentLoadAssignment is the parent's plain-port endpoints (as
// meshLoadAssignment), each labelled with the index of the per-instance
// host it also serves.
func sidecarParentLoadAssignment(in parentEndpoints) *endpointv3.ClusterLoadAssignment {
	type address struct {
		ip   string
		port uint32
	}
	labels := map[address]*corev3.Metadata{}
	for _, inst := range in.instances {
		metadata := instanceMetadata(inst.index)
		for _, e := range inst.la.Endpoints {
			labels[address{e.Address, e.Port}] = metadata
		}
	}
	var lbEndpoints []*endpointv3.LbEndpoint
	for _, e := range in.la.Endpoints {
		if e.Port != 0 {
			lb := plainEndpoint(e)
			lb.Metadata = labels[address{e.Address, e.Port}]
			lbEndpoints = append(lbEndpoints, lb)
		}
	}
	return loadAssignment(in.la.Cluster, lbEndpoints)
}
