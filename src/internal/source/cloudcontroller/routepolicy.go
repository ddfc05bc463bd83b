package cloudcontroller

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/cloudfoundry/go-cfclient/v3/resource"

	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// DomainPolicy is what Cloud Controller says about a domain's route
// policies (RFC-0055) and go-cfclient's resource.Domain does not decode:
// `enforce_route_policies` and `route_policies_scope`, both set when the
// domain is created and never changed (cloud_controller_ng
// app/messages/domain_create_message.rb; domain updates take metadata
// only). Cloud Controller presents the two fields only when enforcement is
// on.
type DomainPolicy struct {
	DomainGUID string
	// Enforce is true when routes on the domain admit only the callers
	// their route policies name, and nobody without one.
	Enforce bool
	// Scope is the operator's boundary around callers, which a caller must
	// pass as well as match a route policy: `any`, `org` (the caller must
	// be in the destination's organization) or `space` (in the
	// destination's space). Translate folds it into each route's callers.
	// Empty when Enforce is false; an enforcing domain with another value
	// admits nobody (fail closed).
	Scope string
}

// The values of `route_policies_scope`.
const (
	ScopeAny          = "any"
	ScopeOrganization = "org"
	ScopeSpace        = "space"
)

// RoutePolicyError reports a Cloud Controller route policy that Translate
// dropped, and why. Its route admits fewer callers for it: route policies
// fail closed.
type RoutePolicyError struct {
	PolicyGUID, RouteGUID string
	// Source is the policy's `source` as Cloud Controller sent it.
	Source string
	Reason string
}

func (e *RoutePolicyError) Error() string {
	return fmt.Sprintf("route policy %s of route %s dropped: %s", e.PolicyGUID, e.RouteGUID, e.Reason)
}

// routeOf is a route policy's route GUID, empty when the policy does not
// say.
func routeOf(p *resource.RoutePolicy) string {
	if p.Relationships.Route == nil || p.Relationships.Route.Data == nil {
		return ""
	}
	return p.Relationships.Route.Data.GUID
}

// indexRoutePolicies groups policies by route GUID; policies without a
// route are left out (they cannot be placed, and admit nobody).
func indexRoutePolicies(policies []*resource.RoutePolicy) map[string][]*resource.RoutePolicy {
	byRoute := map[string][]*resource.RoutePolicy{}
	for _, p := range policies {
		if p != nil && routeOf(p) != "" {
			byRoute[routeOf(p)] = append(byRoute[routeOf(p)], p)
		}
	}
	return byRoute
}

func indexDomainPolicies(policies []DomainPolicy) map[string]DomainPolicy {
	byDomain := make(map[string]DomainPolicy, len(policies))
	for _, p := range policies {
		byDomain[p.DomainGUID] = p
	}
	return byDomain
}

// callers parses a route's policies and folds the domain's scope into
// them: the callers the route admits, sorted by kind, then GUID, without
// duplicates. A policy whose source does not parse, or whose caller the
// scope cannot place because the view lacks what that needs, is left out
// and reported.
func (t translator) callers(route source.DesiredRoute, scope string, policies []*resource.RoutePolicy) ([]source.Caller, []error) {
	var out []source.Caller
	var errs []error
	for _, p := range policies {
		c, err := source.ParseCaller(p.Source)
		admitted := false
		if err == nil {
			c, admitted, err = t.scope.applyScopeToBackends(scope, route, c)
		}
		if err != nil {
			errs = append(errs, &RoutePolicyError{PolicyGUID: p.GUID, RouteGUID: route.GUID, Source: p.Source, Reason: err.Error()})
			continue
		}
		if admitted {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b source.Caller) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.GUID, b.GUID))
	})
	return slices.Compact(out), errs
}
