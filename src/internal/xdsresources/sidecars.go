package xdsresources

import (
	"fmt"
	"strconv"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

// addSidecars builds what every container sidecar shares (the clusters and
// endpoints of the hosts in its scope, the passthrough cluster, the
// inbound clusters) and prepares each one's own listeners and routes.
func (t *Translator) addSidecars(res *Resources, ir envoyir.IR, hosts []envoyir.VirtualHost, scope map[string]bool) []error {
	plan := planInstances(ir, hosts, scope)
	errs := t.addSidecarUpstreams(res, ir, scope, plan)
	opts := t.opts
	errs = addValid(res.SidecarClusters, passthroughCluster(opts), errs)
	set := &sidecarSet{
		opts: opts, workloads: ir.Workloads, inbound: map[string]envoyir.InboundApp{},
		outbound: map[string]*listenerv3.Listener{}, outboundRoutes: map[string]*routev3.RouteConfiguration{},
	}
	for _, in := range ir.Inbound {
		set.inbound[in.AppGUID] = in
		for _, port := range in.Ports {
			if _, built := res.SidecarClusters[InboundClusterName(port)]; opts.Mesh.MTLS && !built {
				errs = addValid(res.SidecarClusters, inboundCluster(port, opts), errs)
			}
		}
	}
	virtualOutbound, err := virtualOutboundListener()
	errs = addBuilt(set.outbound, virtualOutbound, err, errs)
	set.virtualOutbound = set.outbound[VirtualOutboundListener]
	delete(set.outbound, VirtualOutboundListener)
	errs = append(errs, t.addSidecarOutbound(set, hosts, plan.routes)...)
	res.sidecars = set
	return errs
}

// addSidecarUpstreams adds the clusters and load assignments of the hosts
// in the sidecars' scope, except the per-instance clusters folded into
// their parents' (plan), whose load assignments label their instances.
func (t *Translator) addSidecarUpstreams(res *Resources, ir envoyir.IR, scope map[string]bool, plan instancePlan) []error {
	var errs []error
	for _, c := range ir.Clusters {
		if _, folded := plan.routes[c.Name]; scope[c.Name] && !folded {
			errs = add(res.SidecarClusters, t.sidecarClusters.get(c.Name, c, func(c envoyir.Cluster) checked[*clusterv3.Cluster] {
				return check(sidecarCluster(c, t.opts))
			}), errs)
		}
	}
	for _, la := range ir.LoadAssignments {
		_, folded := plan.routes[la.Cluster]
		instances := plan.instances[la.Cluster]
		switch {
		case !scope[la.Cluster] || folded:
		case len(instances) == 0:
			errs = add(res.SidecarEndpoints, t.meshLoadAssignment(la), errs)
		default:
			t.parents[la.Cluster] = instances
			errs = add(res.SidecarEndpoints, t.sidecarParentLoadAssignment(parentEndpoints{la: la, instances: instances}), errs)
		}
	}
	return errs
}

// sidecarParentLoadAssignment is a parent cluster's endpoints as sidecars
// reach them, each labelled with its instance index (ADR 19).
func (t *Translator) sidecarParentLoadAssignment(in parentEndpoints) checked[*endpointv3.ClusterLoadAssignment] {
	return t.sidecarEndpoints.get(in.la.Cluster, in, func(in parentEndpoints) checked[*endpointv3.ClusterLoadAssignment] {
		return check(sidecarParentLoadAssignment(in), nil)
	})
}

// addSidecarOutbound gives every port of the hosts in the sidecars' scope a
// listener and a route configuration, except Diego's own ports.
func (t *Translator) addSidecarOutbound(set *sidecarSet, hosts []envoyir.VirtualHost, instances map[string]instanceRoute) []error {
	var errs []error
	routes := t.sidecarRoutes.get("", sidecarRoutesFor(hosts, instances), func(in sidecarRoutesInput) map[uint32]checked[*routev3.RouteConfiguration] {
		out := map[uint32]checked[*routev3.RouteConfiguration]{}
		for port, rc := range sidecarOutboundRoutes(in) {
			out[port] = check(rc, nil)
		}
		return out
	})
	for port, rc := range routes {
		if reservedInContainer(port) {
			errs = append(errs, fmt.Errorf("port %d of a mesh host is Diego's (the executor's proxy ports, or garden-cni's redirect): container sidecars do not route it", port))
			continue
		}
		errs = add(set.outboundRoutes, rc, errs)
		errs = add(set.outbound, t.sidecarListeners.get(strconv.FormatUint(uint64(port), 10), port, func(port uint32) checked[*listenerv3.Listener] {
			return check(sidecarOutboundListener(port, t.opts))
		}), errs)
	}
	return errs
}

// sidecarHosts are the mesh hosts in the sidecars' scope.
func sidecarHosts(ir envoyir.IR) []envoyir.VirtualHost {
	inScope := map[string]bool{}
	for _, name := range ir.SidecarHosts {
		inScope[name] = true
	}
	var hosts []envoyir.VirtualHost
	for _, h := range ir.MeshHosts {
		if inScope[h.Name] {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// routedClusters adds to names the clusters the hosts' routes name.
func routedClusters(names map[string]bool, hosts []envoyir.VirtualHost) map[string]bool {
	for _, h := range hosts {
		for _, r := range h.Routes {
			for _, c := range r.Clusters {
				names[c.Cluster] = true
			}
		}
	}
	return names
}
