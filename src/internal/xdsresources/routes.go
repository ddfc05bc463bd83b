package xdsresources

import (
	"fmt"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

// gatewayVirtualHost is one route host of a gateway server. A request for
// a host no route serves matches no virtual host of the server's route
// configuration, and Envoy answers 404, as gorouter does for an unknown
// route.
//
// When a policy selects the gateways (route policies, RFC-0055), every
// virtual host enforces it, per request, through the RBAC filter
// (override).
func gatewayVirtualHost(h envoyir.VirtualHost, port uint32, override map[string]*anypb.Any, opts Options) *routev3.VirtualHost {
	vh := &routev3.VirtualHost{Name: fmt.Sprintf("%s:%d", h.Name, port), Domains: []string{h.Name}, TypedPerFilterConfig: override}
	for _, r := range h.Routes {
		vh.Routes = append(vh.Routes, gatewayRoute(r, opts))
	}
	return vh
}

// meshRouteConfigurations gives each of a host's service ports its own route
// configuration, matching the host with and without the port.
func meshRouteConfigurations(h envoyir.VirtualHost) []*routev3.RouteConfiguration {
	if isWildcard(h.Name) {
		return nil
	}
	ports := h.ServicePorts
	if len(ports) == 0 {
		ports = []uint32{defaultPort(h)}
	}
	var out []*routev3.RouteConfiguration
	for _, port := range ports {
		name := MeshRouteName(h.Name, port)
		vh := &routev3.VirtualHost{Name: name, Domains: []string{h.Name, fmt.Sprintf("%s:%d", h.Name, port)}}
		for _, r := range h.Routes {
			vh.Routes = append(vh.Routes, meshRoute(r))
		}
		out = append(out, &routev3.RouteConfiguration{Name: name, VirtualHosts: []*routev3.VirtualHost{vh}})
	}
	return out
}

// gatewayRoute applies the route's policy, or the gateway defaults: the
// request timeout, and retrying a failed connection on another host (as
// gorouter retries failed dials).
func gatewayRoute(r envoyir.Route, opts Options) *routev3.Route {
	action := routeAction(r.Clusters)
	action.Timeout = durationpb.New(opts.RequestTimeout)
	if t := r.Policy.Timeout.Std(); t > 0 {
		action.Timeout = durationpb.New(t)
	}
	action.RetryPolicy = gatewayRetryPolicy(r.Policy.Retry)
	route := baseRoute(r, action)
	route.TypedPerFilterConfig = perFilterConfig(r.Policy, true)
	return route
}

// meshRoute speaks what gRPC understands: a stream duration for the
// timeout, retries on gRPC status codes, fault injection.
func meshRoute(r envoyir.Route) *routev3.Route {
	action := routeAction(r.Clusters)
	if t := r.Policy.Timeout.Std(); t > 0 {
		action.MaxStreamDuration = &routev3.RouteAction_MaxStreamDuration{MaxStreamDuration: durationpb.New(t)}
	}
	if retry := r.Policy.Retry; retry != nil {
		action.RetryPolicy = &routev3.RetryPolicy{
			RetryOn:    grpcRetryOn(retry.RetryOn),
			NumRetries: wrapperspb.UInt32(retry.Attempts),
		}
	}
	route := baseRoute(r, action)
	route.TypedPerFilterConfig = perFilterConfig(r.Policy, false)
	return route
}

func baseRoute(r envoyir.Route, action *routev3.RouteAction) *routev3.Route {
	return &routev3.Route{
		Name:   r.Name,
		Match:  routeMatch(r),
		Action: &routev3.Route_Route{Route: action},
	}
}

func routeMatch(r envoyir.Route) *routev3.RouteMatch {
	m := &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: r.PathPrefix}}
	if r.PathExact != "" {
		m.PathSpecifier = &routev3.RouteMatch_Path{Path: r.PathExact}
	}
	for _, h := range r.Headers {
		m.Headers = append(m.Headers, &routev3.HeaderMatcher{
			Name: h.Name,
			HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{
				MatchPattern: &matcherv3.StringMatcher_Exact{Exact: h.Exact},
			}},
		})
	}
	return m
}

// routeAction names the cluster directly when there is one destination and
// splits by weight otherwise.
func routeAction(clusters []envoyir.WeightedCluster) *routev3.RouteAction {
	if len(clusters) == 1 {
		return &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: clusters[0].Cluster}}
	}
	wc := &routev3.WeightedCluster{}
	for _, c := range clusters {
		wc.Clusters = append(wc.Clusters, &routev3.WeightedCluster_ClusterWeight{
			Name:   c.Cluster,
			Weight: wrapperspb.UInt32(c.Weight),
		})
	}
	return &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_WeightedClusters{WeightedClusters: wc}}
}

// Retry defaults. defaultRetryOn is Istio's when a route sets attempts
// without conditions.
const (
	gatewayConnectRetryOn = "connect-failure,refused-stream"
	gatewayConnectRetries = 2
	defaultRetryOn        = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
)

// gatewayRetryPolicy retries on another host than the one that failed.
func gatewayRetryPolicy(retry *envoyir.RetryPolicy) *routev3.RetryPolicy {
	p := &routev3.RetryPolicy{
		RetryOn:                       gatewayConnectRetryOn,
		NumRetries:                    wrapperspb.UInt32(gatewayConnectRetries),
		RetryHostPredicate:            []*routev3.RetryPolicy_RetryHostPredicate{previousHostsPredicate},
		HostSelectionRetryMaxAttempts: 3,
	}
	if retry != nil {
		p.NumRetries = wrapperspb.UInt32(retry.Attempts)
		p.RetryOn = retry.RetryOn
		if p.RetryOn == "" {
			p.RetryOn = defaultRetryOn
		}
		if d := retry.PerTryTimeout.Std(); d > 0 {
			p.PerTryTimeout = durationpb.New(d)
		}
	}
	return p
}

// grpcRetryOn keeps the conditions gRPC knows and maps HTTP-level ones to
// UNAVAILABLE, the status gRPC gives a failed connection or reset stream.
func grpcRetryOn(retryOn string) string {
	if retryOn == "" {
		retryOn = defaultRetryOn
	}
	seen := map[string]bool{}
	var out []string
	for _, c := range strings.Split(retryOn, ",") {
		switch c = strings.TrimSpace(c); c {
		case "5xx", "gateway-error", "connect-failure", "reset", "refused-stream":
			c = "unavailable"
		case "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable":
		default:
			continue
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return strings.Join(out, ",")
}
