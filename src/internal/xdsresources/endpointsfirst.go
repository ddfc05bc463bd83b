package xdsresources

import (
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
}

// ServedEndpoints is what the previous Translate served (nothing before
// the first).
func (t *Translator) ServedEndpoints() ServedEndpoints {
	return t.served
}

// LoadAssignments builds las for each class that was served them, as
// Translate builds them, into the three endpoint maps of the result (the
// other maps stay nil). A sidecar parent cluster keeps the per-instance
// hosts it folded: an instance's endpoint is served at once, its index
// label with the full translation that brings its per-instance host. A
// load assignment that fails validation is left out; Translate reports
// it.
func (s ServedEndpoints) LoadAssignments(las []envoyir.LoadAssignment) Resources {
	res := Resources{
		GatewayEndpoints: map[string]*endpointv3.ClusterLoadAssignment{},
		MeshEndpoints:    map[string]*endpointv3.ClusterLoadAssignment{},
		SidecarEndpoints: map[string]*endpointv3.ClusterLoadAssignment{},
	}
	for _, la := range las {
		if _, ok := s.gateway[la.Cluster]; ok {
			keep(res.GatewayEndpoints, check(gatewayLoadAssignment(la), nil))
		}
		plain := check(meshLoadAssignment(la), nil)
		if _, ok := s.mesh[la.Cluster]; ok {
			keep(res.MeshEndpoints, plain)
		}
		instances, folds := s.parents[la.Cluster]
		_, served := s.sidecar[la.Cluster]
		switch {
		case folds:
			keep(res.SidecarEndpoints, check(sidecarParentLoadAssignment(parentEndpoints{la: la, instances: instances}), nil))
		case served:
			keep(res.SidecarEndpoints, plain)
		}
	}
	return res
}

func keep(into map[string]*endpointv3.ClusterLoadAssignment, c checked[*endpointv3.ClusterLoadAssignment]) {
	if c.err == nil {
		into[c.r.GetClusterName()] = c.r
	}
}
