package xdsresources

import (
	"fmt"
	"regexp"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	headertometadatav3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/header_to_metadata/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

// One virtual host for all the instances of an app (ADR 19, amended). A
// sidecar reaches the folded per-instance hosts `<n>.<parent>` of a parent
// through one wildcard virtual host `*.<parent>`: its route takes the
// instance index from the request's authority into the subset load
// balancer's request metadata (Envoy's header-to-metadata filter, `envoy.lb`,
// which the router merges into the route's metadata match). An instance
// coming or going then changes the parent's load assignment only, not the
// outbound route configuration every sidecar holds (about 6 MB at 100k
// endpoints, resent in full to each sidecar when it changed).

// instanceIndexFilterName is the HTTP filter that labels a request with
// the instance it asks for. It is in every sidecar outbound HTTP filter
// chain without rules; only the instance wildcard routes configure it.
const instanceIndexFilterName = "envoy.filters.http.header_to_metadata"

var instanceIndexFilter = httpFilter(instanceIndexFilterName, &headertometadatav3.Config{})

// instanceWildcard is the wildcard virtual host of one parent host on one
// port: every folded per-instance host of it whose one route is alike goes
// to cluster, the parent's, under the route's policy.
type instanceWildcard struct {
	parent  string
	port    uint32
	cluster string
	policy  envoyir.RoutePolicy
}

func equalInstanceWildcards(a, b instanceWildcard) bool {
	return a.parent == b.parent && a.port == b.port && a.cluster == b.cluster && equalRoutePolicies(a.policy, b.policy)
}

func equalRoutePolicies(a, b envoyir.RoutePolicy) bool {
	return a.Timeout == b.Timeout && equalPointees(a.Retry, b.Retry) && equalPointees(a.Fault, b.Fault) && equalPointees(a.RateLimit, b.RateLimit)
}

func equalPointees[T comparable](a, b *T) bool {
	return a == b || (a != nil && b != nil && *a == *b)
}

// sidecarRoutesFor splits the sidecars' hosts into those that keep a
// virtual host of their own and the instance wildcards that stand for the
// rest, and keeps of instances the folded clusters the former still name.
// A per-instance host goes into its parent's wildcard when it has one port
// and one route (the prefix `/`, no header match) to one folded cluster,
// alike (parent cluster and policy) to the first such host of that parent
// and port; any other keeps its virtual host, whose exact domain Envoy
// prefers to the wildcard.
func sidecarRoutesFor(hosts []envoyir.VirtualHost, instances map[string]instanceRoute) sidecarRoutesInput {
	in := sidecarRoutesInput{hosts: make([]envoyir.VirtualHost, 0, len(hosts)), instances: map[string]instanceRoute{}}
	byParent := map[hostPort]int{}
	for _, h := range hosts {
		if w, ok := instanceWildcardOf(h, instances); ok {
			key := hostPort{w.parent, w.port}
			i, seen := byParent[key]
			if !seen {
				i = len(in.wildcards)
				byParent[key] = i
				in.wildcards = append(in.wildcards, w)
			}
			if equalInstanceWildcards(in.wildcards[i], w) {
				continue
			}
		}
		in.hosts = append(in.hosts, h)
		for _, r := range h.Routes {
			for _, c := range r.Clusters {
				if to, ok := instances[c.Cluster]; ok {
					in.instances[c.Cluster] = to
				}
			}
		}
	}
	return in
}

// instanceWildcardOf is the wildcard a per-instance host may go into.
func instanceWildcardOf(h envoyir.VirtualHost, instances map[string]instanceRoute) (instanceWildcard, bool) {
	_, parent, ok := perInstanceHost(h.Name)
	// `*.*.host` is no domain Envoy accepts: a wildcard parent's instances
	// keep their virtual hosts.
	if !ok || isWildcard(parent) || len(h.ServicePorts) != 1 || len(h.Routes) != 1 {
		return instanceWildcard{}, false
	}
	r := h.Routes[0]
	if r.PathPrefix != "/" || r.PathExact != "" || len(r.Headers) != 0 || len(r.Clusters) != 1 {
		return instanceWildcard{}, false
	}
	to, folded := instances[r.Clusters[0].Cluster]
	if !folded {
		return instanceWildcard{}, false
	}
	return instanceWildcard{parent: parent, port: h.ServicePorts[0], cluster: to.parent, policy: r.Policy}, true
}

// instanceWildcardHost is the wildcard's virtual host: a request whose
// authority is `<digits>.<parent>` (with or without a port) goes to the
// endpoints of the parent's cluster labelled with that index, or gets 503
// when there are none; any other authority under the parent passes through
// to where it was going, as it did before the wildcard existed.
func instanceWildcardHost(w instanceWildcard) *routev3.VirtualHost {
	name := "*." + w.parent
	route := sidecarRoute(envoyir.Route{
		Name: name, PathPrefix: "/", Policy: w.policy,
		Clusters: []envoyir.WeightedCluster{{Cluster: w.cluster, Weight: 100}},
	}, nil)
	route.Match.Headers = []*routev3.HeaderMatcher{authorityMatcher(`[0-9]+\.` + regexp.QuoteMeta(w.parent) + `(:[0-9]+)?`)}
	if route.TypedPerFilterConfig == nil {
		route.TypedPerFilterConfig = map[string]*anypb.Any{}
	}
	route.TypedPerFilterConfig[instanceIndexFilterName] = instanceIndexRule
	return &routev3.VirtualHost{
		Name:    fmt.Sprintf("%s:%d", name, w.port),
		Domains: []string{name, fmt.Sprintf("%s:%d", name, w.port)},
		Routes:  []*routev3.Route{route, passthroughRoute()},
	}
}

// instanceIndexRule puts the leading label of the authority, the instance
// index, into the subset load balancer's request metadata as a string, the
// type of the endpoints' labels.
var instanceIndexRule, _ = toAny(&headertometadatav3.Config{RequestRules: []*headertometadatav3.Config_Rule{{
	Header: ":authority",
	OnHeaderPresent: &headertometadatav3.Config_KeyValuePair{
		MetadataNamespace: subsetMetadataKey,
		Key:               InstanceIndexKey,
		Type:              headertometadatav3.Config_STRING,
		RegexValueRewrite: &matcherv3.RegexMatchAndSubstitute{
			Pattern:      &matcherv3.RegexMatcher{Regex: `^([0-9]+)\..*$`},
			Substitution: `\1`,
		},
	},
}}})
