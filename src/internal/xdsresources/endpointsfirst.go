package xdsresources

import (
	"slices"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

// ServedEndpoints is what the endpoints-first path (ADR 20) needs of one
// Translate: the load assignments each class was served, and the
// per-instance hosts each sidecar parent cluster folded. It is immutable,
// so the pilot reads it on another goroutine while the next translation
// runs.
type ServedEndpoints struct {
	gateway, mesh, sidecar map[string]*endpointv3.ClusterLoadAssignment
	parents                map[string][]instanceEndpoints
	// folded is the parent of each folded per-instance cluster.
	folded map[string]string
}

func newServedEndpoints(res Resources, parents map[string][]instanceEndpoints) ServedEndpoints {
	folded := map[string]string{}
	for parent, instances := range parents {
		for _, inst := range instances {
			folded[inst.la.Cluster] = parent
		}
	}
	return ServedEndpoints{gateway: res.GatewayEndpoints, mesh: res.MeshEndpoints, sidecar: res.SidecarEndpoints, parents: parents, folded: folded}
}

// ServedEndpoints is what the previous Translate served (nothing before
// the first).
func (t *Translator) ServedEndpoints() ServedEndpoints {
	return t.served
}

// LoadAssignments builds the changed load assignments for each class
// that was served them, as Translate builds them, into the three endpoint
// maps of the result (the other maps stay nil). A load assignment that
// fails validation is left out; Translate reports it.
//
// A sidecar parent cluster keeps the per-instance hosts it folded, with
// their changed endpoints (an instance that moved), but those whose host
// is gone (a stopped instance), and labels a started instance at once: a
// new host `<index>.<parent>` on the cluster's port whose endpoints the
// cluster holds, and no folded instance holds or indexes alike. Translate folds it by the same rules (planInstances), and
// it alone decides the rare case it does not (the new host out of the
// sidecars' scope, or a parent with several clusters on the port): its
// update then corrects the label, which no route of the parent selects
// meanwhile. FoldsHold tells whether it would fold otherwise.
func (s ServedEndpoints) LoadAssignments(changes envoyir.EndpointChanges) Resources {
	res := Resources{
		GatewayEndpoints: map[string]*endpointv3.ClusterLoadAssignment{},
		MeshEndpoints:    map[string]*endpointv3.ClusterLoadAssignment{},
		SidecarEndpoints: map[string]*endpointv3.ClusterLoadAssignment{},
	}
	started, changed := startedInstances(changes.NewHosts), byCluster(changes.LoadAssignments)
	gone := goneSet(changes.GoneHosts)
	for _, la := range changes.LoadAssignments {
		if _, ok := s.gateway[la.Cluster]; ok {
			keep(res.GatewayEndpoints, check(gatewayLoadAssignment(la), nil))
		}
		plain := check(meshLoadAssignment(la), nil)
		if _, ok := s.mesh[la.Cluster]; ok {
			keep(res.MeshEndpoints, plain)
		}
		if _, ok := s.sidecar[la.Cluster]; !ok {
			continue
		}
		if instances := s.instancesOf(la, changed, started, gone); len(instances) > 0 {
			keep(res.SidecarEndpoints, check(sidecarParentLoadAssignment(parentEndpoints{la: la, instances: instances}), nil))
		} else {
			keep(res.SidecarEndpoints, plain)
		}
	}
	return res
}

// FoldsHold reports whether Translate would fold the per-instance hosts
// the served sidecar parent clusters folded as before, given changes whose
// IR differs from the served one only in load assignments: the parent of
// every changed folded cluster changes too, and every changed parent
// still holds each of its instances' endpoints, no endpoint with two
// indexes. Otherwise Translate changes the sidecars' clusters and routes
// as well (planInstances).
func (s ServedEndpoints) FoldsHold(changes envoyir.EndpointChanges) bool {
	changed := byCluster(changes.LoadAssignments)
	for cluster := range changed {
		if parent, ok := s.folded[cluster]; ok {
			if _, also := changed[parent]; !also {
				return false
			}
		}
	}
	started, gone := startedInstances(changes.NewHosts), goneSet(changes.GoneHosts)
	for _, la := range changes.LoadAssignments {
		if _, ok := s.parents[la.Cluster]; ok && !foldable(la, s.instancesOf(la, changed, started, gone)) {
			return false
		}
	}
	return true
}

// instancesOf are a served parent cluster's folded instances but those
// whose host is gone, with the load assignments changed gives them, and
// the started instances it labels.
func (s ServedEndpoints) instancesOf(parent envoyir.LoadAssignment, changed map[string]envoyir.LoadAssignment, started map[hostPort][]instanceEndpoints, gone map[string]bool) []instanceEndpoints {
	served := s.parents[parent.Cluster]
	instances := make([]instanceEndpoints, 0, len(served)) // the served ones stay as they are
	for _, inst := range served {
		if _, _, host, ok := envoyir.ParseClusterName(inst.la.Cluster); ok && gone[host] {
			continue
		}
		if la, ok := changed[inst.la.Cluster]; ok {
			inst.la = la
		}
		instances = append(instances, inst)
	}
	return withStarted(instances, parent, started)
}

func goneSet(hosts []string) map[string]bool {
	out := make(map[string]bool, len(hosts))
	for _, h := range hosts {
		out[h] = true
	}
	return out
}

// foldable reports whether parent holds every endpoint of instances and
// no endpoint has two indexes.
func foldable(parent envoyir.LoadAssignment, instances []instanceEndpoints) bool {
	indexes := map[envoyir.Endpoint]string{}
	for _, inst := range instances {
		if !holdsAll(parent.Endpoints, inst.la.Endpoints) {
			return false
		}
		for _, e := range inst.la.Endpoints {
			key := envoyir.Endpoint{Address: e.Address, Port: e.Port}
			if index, seen := indexes[key]; seen && index != inst.index {
				return false
			}
			indexes[key] = inst.index
		}
	}
	return true
}

func byCluster(las []envoyir.LoadAssignment) map[string]envoyir.LoadAssignment {
	out := make(map[string]envoyir.LoadAssignment, len(las))
	for _, la := range las {
		out[la.Cluster] = la
	}
	return out
}

// startedInstances are the new per-instance hosts' endpoints, by parent
// host and port.
func startedInstances(hosts []envoyir.HostEndpoints) map[hostPort][]instanceEndpoints {
	out := map[hostPort][]instanceEndpoints{}
	for _, h := range hosts {
		if index, parent, ok := perInstanceHost(h.Host); ok && len(h.Endpoints) > 0 {
			key := hostPort{parent, h.Port}
			out[key] = append(out[key], instanceEndpoints{index: index, la: envoyir.LoadAssignment{Cluster: h.Host, Endpoints: h.Endpoints}})
		}
	}
	return out
}

// withStarted are a parent cluster's folded instances and the started
// instances of its host and port that it holds every endpoint of, when no
// instance already has their index or one of their endpoints.
func withStarted(folded []instanceEndpoints, parent envoyir.LoadAssignment, started map[hostPort][]instanceEndpoints) []instanceEndpoints {
	port, _, host, ok := envoyir.ParseClusterName(parent.Cluster)
	if !ok {
		return folded
	}
	out := folded
	for _, inst := range started[hostPort{host, port}] {
		if holdsAll(parent.Endpoints, inst.la.Endpoints) && !slices.ContainsFunc(out, inst.overlaps) {
			out = append(slices.Clip(out), inst)
		}
	}
	return out
}

// overlaps reports whether two instances have the same index or share an
// endpoint (by address and port).
func (i instanceEndpoints) overlaps(other instanceEndpoints) bool {
	return i.index == other.index || slices.ContainsFunc(i.la.Endpoints, func(e envoyir.Endpoint) bool {
		return slices.ContainsFunc(other.la.Endpoints, func(o envoyir.Endpoint) bool { return compareEndpoints(e, o) == 0 })
	})
}

func keep(into map[string]*endpointv3.ClusterLoadAssignment, c checked[*endpointv3.ClusterLoadAssignment]) {
	if c.err == nil {
		into[c.r.GetClusterName()] = c.r
	}
}
