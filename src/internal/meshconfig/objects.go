package meshconfig

import (
	"sort"

	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// virtualService builds a host's routes with their traffic policies and
// the VirtualService annotations those need; route problems are reported
// and the rest of the route still flows.
func virtualService(routes []routingtable.Route, internal bool) (*networking.VirtualService, map[string]string, []error) {
	vs := &networking.VirtualService{
		Hosts:    []string{routes[0].Host},
		Gateways: gatewaysFor(internal),
	}
	var annotations map[string]string
	var errs []error
	for _, r := range routes {
		policy, problems := policyFor(r)
		errs = append(errs, problems...)
		route := httpRoute(r)
		policy.apply(route)
		if canary := policy.canaryRoute(r); canary != nil {
			vs.Http = append(vs.Http, canary)
		}
		vs.Http = append(vs.Http, route)
		if limit := policy.rateLimit(); limit != "" {
			if annotations == nil {
				annotations = map[string]string{}
			}
			for _, hr := range vs.Http {
				if hr.Name == route.Name || hr.Name == route.Name+canarySuffix {
					annotations[mesh.RateLimitAnnotationPrefix+hr.Name] = limit
				}
			}
		}
	}
	return vs, annotations, errs
}

// gatewaysFor binds internal hosts to mesh clients only, and external
// hosts to the ingress gateway and mesh clients (ADR 7).
func gatewaysFor(internal bool) []string {
	if internal {
		return []string{MeshGateway}
	}
	return []string{mesh.Namespace + "/" + IngressGatewayName, MeshGateway}
}

func httpRoute(r routingtable.Route) *networking.HTTPRoute {
	route := &networking.HTTPRoute{Name: routeName(r), Match: pathMatch(r.Path)}
	weights := EffectiveWeights(r.Destinations)
	for i, d := range r.Destinations {
		if weights[i] == 0 {
			continue
		}
		route.Route = append(route.Route, &networking.HTTPRouteDestination{
			Destination: &networking.Destination{
				Host:   r.Host,
				Subset: d.Key,
				Port:   &networking.PortSelector{Number: d.Port},
			},
			Weight: int32(weights[i]),
		})
	}
	return route
}

// routeName is the Cloud Controller route GUID, or the URI for NATS-only
// routes, so operators can trace an Envoy route back to `cf routes`.
func routeName(r routingtable.Route) string {
	if r.GUID != "" {
		return r.GUID
	}
	return r.Host + r.Path
}

// pathMatch matches a context path and everything below it, segment-wise:
// `/v1` matches `/v1` and `/v1/x` but not `/v10`. The root path matches all.
func pathMatch(path string) []*networking.HTTPMatchRequest {
	if path == "" {
		return nil
	}
	return []*networking.HTTPMatchRequest{
		{Uri: &networking.StringMatch{MatchType: &networking.StringMatch_Exact{Exact: path}}},
		{Uri: &networking.StringMatch{MatchType: &networking.StringMatch_Prefix{Prefix: path + "/"}}},
	}
}

func destinationRule(routes []routingtable.Route) *networking.DestinationRule {
	dr := &networking.DestinationRule{Host: routes[0].Host}
	seen := map[string]bool{}
	for _, r := range routes {
		for _, d := range r.Destinations {
			if seen[d.Key] {
				continue
			}
			seen[d.Key] = true
			dr.Subsets = append(dr.Subsets, &networking.Subset{Name: d.Key, Labels: map[string]string{SubsetLabel: d.Key}})
		}
	}
	sort.Slice(dr.Subsets, func(i, j int) bool { return dr.Subsets[i].Name < dr.Subsets[j].Name })
	if lb := loadBalancer(routes); lb != nil {
		dr.TrafficPolicy = &networking.TrafficPolicy{LoadBalancer: lb}
	}
	return dr
}

// loadBalancer maps the `loadbalancing` option of the host's least specific
// route (the last: routes are longest path first) to Istio's simple policy.
func loadBalancer(routes []routingtable.Route) *networking.LoadBalancerSettings {
	var simple networking.LoadBalancerSettings_SimpleLB
	switch routes[len(routes)-1].LoadBalancing {
	case "round-robin":
		simple = networking.LoadBalancerSettings_ROUND_ROBIN
	case "least-connection":
		simple = networking.LoadBalancerSettings_LEAST_REQUEST
	default:
		return nil
	}
	return &networking.LoadBalancerSettings{LbPolicy: &networking.LoadBalancerSettings_Simple{Simple: simple}}
}

func serviceEntry(routes []routingtable.Route) *networking.ServiceEntry {
	se := &networking.ServiceEntry{
		Hosts:      []string{routes[0].Host},
		Location:   networking.ServiceEntry_MESH_INTERNAL,
		Resolution: networking.ServiceEntry_STATIC,
	}
	ports := map[uint32]string{}
	type endpointKey struct {
		address       string
		port, tlsPort uint32
		subset        string
	}
	seen := map[endpointKey]bool{}
	for _, r := range routes {
		for _, d := range r.Destinations {
			if _, ok := ports[d.Port]; !ok {
				ports[d.Port] = portProtocol(d.Protocol)
			}
			for _, e := range d.Endpoints {
				key := endpointKey{e.Address, e.Port, e.TLSPort, d.Key}
				if (e.Port == 0 && e.TLSPort == 0) || seen[key] {
					continue
				}
				seen[key] = true
				se.Endpoints = append(se.Endpoints, workloadEntry(e, d))
			}
		}
	}
	for port, protocol := range ports {
		se.Ports = append(se.Ports, &networking.ServicePort{Number: port, Name: portName(port), Protocol: protocol})
	}
	sort.Slice(se.Ports, func(i, j int) bool { return se.Ports[i].Number < se.Ports[j].Number })
	sort.SliceStable(se.Endpoints, func(i, j int) bool { return endpointLess(se.Endpoints[i], se.Endpoints[j]) })
	return se
}

// workloadEntry is one endpoint of a destination: its plain port (if any)
// under the destination's port name, its container proxy's TLS port under
// mesh.TLSProxyPortName, and the identity its certificate presents (gorouter's
// server_cert_domain_san, the instance GUID) as the workload's service
// account (ADR 7); labelled with its app, and in mesh.ContainerNetwork when
// its address is the container's own.
func workloadEntry(e source.Endpoint, d routingtable.Destination) *networking.WorkloadEntry {
	we := &networking.WorkloadEntry{
		Address:        e.Address,
		Ports:          map[string]uint32{},
		Labels:         map[string]string{SubsetLabel: d.Key},
		ServiceAccount: e.ServerCertDomainSAN,
	}
	if d.AppGUID != "" {
		we.Labels[mesh.AppGUIDLabel] = d.AppGUID
	}
	if e.Internal {
		we.Network = mesh.ContainerNetwork
	}
	if e.Port != 0 {
		we.Ports[portName(d.Port)] = e.Port
	}
	if e.TLSPort != 0 {
		we.Ports[mesh.TLSProxyPortName] = e.TLSPort
	}
	return we
}

func portProtocol(cfProtocol string) string {
	if cfProtocol == "http2" {
		return "HTTP2"
	}
	return "HTTP"
}

func endpointLess(a, b *networking.WorkloadEntry) bool {
	if a.Address != b.Address {
		return a.Address < b.Address
	}
	if a.Labels[SubsetLabel] != b.Labels[SubsetLabel] {
		return a.Labels[SubsetLabel] < b.Labels[SubsetLabel]
	}
	return minPort(a) < minPort(b)
}

func minPort(w *networking.WorkloadEntry) uint32 {
	var lowest uint32
	for _, p := range w.Ports {
		if lowest == 0 || p < lowest {
			lowest = p
		}
	}
	return lowest
}
