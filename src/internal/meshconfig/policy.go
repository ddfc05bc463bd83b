package meshconfig

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
)

// canarySuffix names a route's canary HTTP route.
const canarySuffix = "-canary"

// routePolicy is one route's parsed annotations plus the VirtualService
// metadata they add.
type routePolicy struct {
	TrafficPolicy
	canaryKey string
}

// policyFor parses a route's annotations; every problem names the route.
func policyFor(r routingtable.Route) (routePolicy, []error) {
	parsed, problems := ParseTrafficPolicy(r.Annotations)
	p := routePolicy{TrafficPolicy: parsed}
	if p.CanaryApp != "" {
		for _, d := range r.Destinations {
			if d.AppGUID == p.CanaryApp {
				p.canaryKey = d.Key
			}
		}
		if p.canaryKey == "" {
			problems = append(problems, annotationProblem(AnnotationCanaryApp, p.CanaryApp, "is not an app this route maps"))
		}
	}
	var errs []error
	for _, problem := range problems {
		errs = append(errs, fmt.Errorf("route %s (%s%s): %w", routeName(r), r.Host, r.Path, problem))
	}
	return p, errs
}

// apply sets the route's timeout, retries and faults on an HTTP route.
func (p routePolicy) apply(route *networking.HTTPRoute) {
	if p.Timeout > 0 {
		route.Timeout = durationpb.New(p.Timeout)
	}
	if p.Retries > 0 {
		route.Retries = &networking.HTTPRetry{Attempts: p.Retries, RetryOn: p.RetryOn, PerTryTimeout: optionalDuration(p.PerTryTimeout)}
	}
	if p.FaultDelay > 0 || p.FaultAbort > 0 {
		route.Fault = &networking.HTTPFaultInjection{}
	}
	if p.FaultDelay > 0 {
		route.Fault.Delay = &networking.HTTPFaultInjection_Delay{
			HttpDelayType: &networking.HTTPFaultInjection_Delay_FixedDelay{FixedDelay: durationpb.New(p.FaultDelay)},
			Percentage:    &networking.Percent{Value: p.FaultDelayPercent},
		}
	}
	if p.FaultAbort > 0 {
		route.Fault.Abort = &networking.HTTPFaultInjection_Abort{
			ErrorType:  &networking.HTTPFaultInjection_Abort_HttpStatus{HttpStatus: p.FaultAbort},
			Percentage: &networking.Percent{Value: p.FaultAbortPercent},
		}
	}
}

// canaryRoute sends requests carrying the canary header to the canary app
// alone; it is placed before the route it belongs to.
func (p routePolicy) canaryRoute(r routingtable.Route) *networking.HTTPRoute {
	if p.canaryKey == "" {
		return nil
	}
	header := map[string]*networking.StringMatch{
		p.CanaryHeader: {MatchType: &networking.StringMatch_Exact{Exact: p.CanaryValue}},
	}
	matches := pathMatch(r.Path)
	if len(matches) == 0 {
		matches = []*networking.HTTPMatchRequest{{}}
	}
	for _, m := range matches {
		m.Headers = header
	}
	var port uint32
	for _, d := range r.Destinations {
		if d.Key == p.canaryKey {
			port = d.Port
		}
	}
	route := &networking.HTTPRoute{
		Name:  routeName(r) + canarySuffix,
		Match: matches,
		Route: []*networking.HTTPRouteDestination{{
			Destination: &networking.Destination{Host: r.Host, Subset: p.canaryKey, Port: &networking.PortSelector{Number: port}},
			Weight:      TotalWeight,
		}},
	}
	p.apply(route)
	return route
}

// rateLimit is the route's local rate limit as the VirtualService
// annotation value (`<n>/<unit>`), or "" when it has none. Its canary route
// gets the same limit.
func (p routePolicy) rateLimit() string {
	if p.RateLimit == 0 {
		return ""
	}
	unit := map[time.Duration]string{time.Second: "s", time.Minute: "m", time.Hour: "h"}[p.RateLimitPer]
	return fmt.Sprintf("%d/%s", p.RateLimit, unit)
}

func optionalDuration(d time.Duration) *durationpb.Duration {
	if d == 0 {
		return nil
	}
	return durationpb.New(d)
}
