package meshconfig

import (
	"sort"
	"strconv"
	"strings"

	security "istio.io/api/security/v1beta1"
	typev1beta1 "istio.io/api/type/v1beta1"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// AnyMeshCaller is the principal every caller with an instance identity
// matches (Istio's `*`).
const AnyMeshCaller = "*"

// appSurface is what one app serves over the mesh: its container ports and
// the routes that send traffic to it.
type appSurface struct {
	ports  map[uint32]bool
	routes []routingtable.Route
}

// authorizationPolicies compiles, per app, who may call it over the mesh
// (ADR 13). An app with no policy at all gets no AuthorizationPolicy and is
// open to every mesh member. An app that policies name gets an ALLOW policy
// whose rules are the only ways in:
//   - each cf-networking policy admits its source app on the destination
//     ports the app serves;
//   - each route whose domain enforces route policies admits the callers of
//     its route policies, for its host and path;
//   - when the app has no cf-networking policy, its other routes stay open
//     to every mesh member, for their hosts and paths;
//   - callers from outside the container network (the ingress gateway,
//     gorouter) are routed by routes, not mesh policy, and are admitted.
//
// While the policies of an app cannot be vouched for (the policy source has
// not answered yet, or the app appeared while it was lost), the app admits
// only callers from outside the container network: fail closed.
func authorizationPolicies(table routingtable.Table, opts Options) ([]mesh.Resource, []error) {
	surfaces := appSurfaces(table)
	byHost := map[string][]routingtable.Route{}
	for _, r := range table.Routes {
		byHost[r.Host] = append(byHost[r.Host], r)
	}
	network := map[string][]source.NetworkPolicy{}
	for _, p := range table.Policies.Network {
		if p.Protocol == "tcp" {
			network[p.DestinationAppGUID] = append(network[p.DestinationAppGUID], p)
		}
	}
	unverified := map[string]bool{}
	for _, app := range table.Policies.Unverified {
		unverified[app] = true
	}
	var resources []mesh.Resource
	var errs []error
	for _, app := range sortedKeys(surfaces) {
		var rules []*security.Rule
		if !table.Policies.Unknown && !unverified[app] {
			var governed bool
			rules, governed = appRules(surfaces[app], network[app], byHost)
			if !governed {
				continue
			}
		}
		if opts.ContainerNetwork != "" {
			rules = append(rules, &security.Rule{From: []*security.Rule_From{{Source: &security.Source{NotIpBlocks: []string{opts.ContainerNetwork}}}}})
		}
		spec := &security.AuthorizationPolicy{
			Selector: &typev1beta1.WorkloadSelector{MatchLabels: map[string]string{mesh.AppGUIDLabel: app}},
			Action:   security.AuthorizationPolicy_ALLOW,
			Rules:    rules,
		}
		r, err := mesh.NewResource(mesh.KindAuthorizationPolicy, mesh.Namespace, "copilot-policy-for-app-"+app, spec, nil, nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		resources = append(resources, r)
	}
	return resources, errs
}

// appRules builds an app's rules; governed is false when no policy names
// the app, which leaves it open.
func appRules(surface *appSurface, network []source.NetworkPolicy, byHost map[string][]routingtable.Route) ([]*security.Rule, bool) {
	rules := networkRules(surface, network)
	enforced := false
	for _, r := range surface.routes {
		if !r.EnforceRoutePolicies {
			continue
		}
		enforced = true
		if len(r.RoutePolicies) == 0 {
			continue
		}
		var principals []string
		for _, c := range r.RoutePolicies {
			principals = append(principals, c.String())
		}
		rules = append(rules, routeRule(r, byHost[r.Host], principals))
	}
	if len(network) == 0 && !enforced {
		return nil, false
	}
	if len(network) == 0 {
		for _, r := range surface.routes {
			if !r.EnforceRoutePolicies {
				rules = append(rules, routeRule(r, byHost[r.Host], []string{AnyMeshCaller}))
			}
		}
	}
	return rules, true
}

// networkRules admits each policy's source app on the ports the app serves
// within the policy's range, one rule per set of ports.
func networkRules(surface *appSurface, network []source.NetworkPolicy) []*security.Rule {
	bySet := map[string]map[string]bool{}
	portsOf := map[string][]string{}
	for _, p := range network {
		var ports []string
		for _, port := range sortedPorts(surface.ports) {
			if port >= p.StartPort && port <= p.EndPort {
				ports = append(ports, strconv.FormatUint(uint64(port), 10))
			}
		}
		if len(ports) == 0 {
			continue
		}
		key := strings.Join(ports, ",")
		if bySet[key] == nil {
			bySet[key] = map[string]bool{}
			portsOf[key] = ports
		}
		bySet[key]["app:"+p.SourceAppGUID] = true
	}
	var rules []*security.Rule
	for _, key := range sortedKeys(bySet) {
		rules = append(rules, &security.Rule{
			From: []*security.Rule_From{{Source: &security.Source{Principals: sortedKeys(bySet[key])}}},
			To:   []*security.Rule_To{{Operation: &security.Operation{Ports: portsOf[key]}}},
		})
	}
	return rules
}

// routeRule admits principals to one route: its host and, for a context
// path, the path and what lies below it, except what more specific routes
// of the host claim (gorouter's longest-prefix match).
func routeRule(r routingtable.Route, hostRoutes []routingtable.Route, principals []string) *security.Rule {
	op := &security.Operation{Hosts: []string{r.Host}}
	if r.Path != "" {
		op.Paths = []string{r.Path, r.Path + "/*"}
	}
	for _, other := range hostRoutes {
		if other.Path != r.Path && strings.HasPrefix(other.Path, r.Path+"/") {
			op.NotPaths = append(op.NotPaths, other.Path, other.Path+"/*")
		}
	}
	return &security.Rule{
		From: []*security.Rule_From{{Source: &security.Source{Principals: principals}}},
		To:   []*security.Rule_To{{Operation: op}},
	}
}

func appSurfaces(table routingtable.Table) map[string]*appSurface {
	surfaces := map[string]*appSurface{}
	for _, r := range table.Routes {
		for _, d := range r.Destinations {
			if d.AppGUID == "" {
				continue
			}
			s := surfaces[d.AppGUID]
			if s == nil {
				s = &appSurface{ports: map[uint32]bool{}}
				surfaces[d.AppGUID] = s
			}
			s.ports[d.Port] = true
			if len(s.routes) == 0 || s.routes[len(s.routes)-1].Host != r.Host || s.routes[len(s.routes)-1].Path != r.Path {
				s.routes = append(s.routes, r)
			}
		}
	}
	return surfaces
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedPorts(ports map[uint32]bool) []uint32 {
	out := make([]uint32, 0, len(ports))
	for p := range ports {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
