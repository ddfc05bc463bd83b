package cloudcontroller

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cloudfoundry/go-cfclient/v3/resource"

	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// A domain's `route_policies_scope` is the operator's boundary around a
// route's callers (RFC-0055): gorouter admits a caller only when it passes
// the scope check (its organization or space, from its instance identity
// certificate, equals the selected backend's) and matches one of the
// route's policies. Translate folds the scope into the callers instead, so
// that everything downstream stays a plain list of principals: each caller
// becomes what both checks together admit, taking the route's own space and
// organization for the backend's (ADR 8 says where that differs).
//
//	scope   route in space P of organization O
//	any     callers as they are
//	org     cf:any → organization:O; cf:org:X kept if X = O; cf:space:S kept
//	        if S is in O; cf:app:A kept if A's space is in O
//	space   cf:any → space:P; cf:org:X → space:P if P is in X; cf:space:S
//	        kept if S = P; cf:app:A kept if A is in P
//
// A caller the scope leaves out is dropped silently: that is the scope
// working. A caller whose fate hangs on an app or space the view does not
// know, or on the route's space or organization when the view does not know
// them, is dropped and reported (fail closed).

// scopeIndex is what applying a scope needs to know about callers and
// routes: each app's space and each space's organization, keyed by
// lower-case GUID, as callers carry them. An empty value means the resource
// is known but does not say.
type scopeIndex struct {
	appSpaces map[string]string
	spaceOrgs map[string]string
}

// indexScope indexes a foundation's apps and spaces, only when one of its
// domains enforces a scope that needs them.
func indexScope(f Foundation) scopeIndex {
	needed := slices.ContainsFunc(f.DomainPolicies, func(p DomainPolicy) bool {
		return p.Enforce && (p.Scope == ScopeOrganization || p.Scope == ScopeSpace)
	})
	if !needed {
		return scopeIndex{}
	}
	ix := scopeIndex{appSpaces: make(map[string]string, len(f.Apps)), spaceOrgs: make(map[string]string, len(f.Spaces))}
	for _, a := range f.Apps {
		if a != nil {
			ix.appSpaces[strings.ToLower(a.GUID)] = strings.ToLower(spaceOfApp(a))
		}
	}
	for _, s := range f.Spaces {
		if s != nil {
			ix.spaceOrgs[strings.ToLower(s.GUID)] = strings.ToLower(organizationOf(s))
		}
	}
	return ix
}

// spaceOfApp is an app's space GUID, empty when the app does not say.
func spaceOfApp(a *resource.App) string {
	if a.Relationships.Space.Data == nil {
		return ""
	}
	return a.Relationships.Space.Data.GUID
}

// applyScope folds a domain's scope into one caller of a route in
// routeSpace. It returns the caller as the route admits it and true, false
// when the scope leaves the caller out, or an error when the view does not
// know what the decision needs.
func (ix scopeIndex) applyScope(scope, routeSpace string, c source.Caller) (source.Caller, bool, error) {
	routeSpace = strings.ToLower(routeSpace)
	var (
		admitted source.Caller
		ok       bool
		err      error
	)
	switch scope {
	case ScopeAny:
		return c, true, nil
	case ScopeOrganization:
		admitted, ok, err = ix.withinOrganization(routeSpace, c)
	case ScopeSpace:
		admitted, ok, err = ix.withinSpace(routeSpace, c)
	default:
		return source.Caller{}, false, fmt.Errorf("the domain's route_policies_scope %q is not any, org or space", scope)
	}
	if err != nil {
		return source.Caller{}, false, fmt.Errorf("route_policies_scope %s: %w", scope, err)
	}
	return admitted, ok, nil
}

// applyScopeToBackends folds the scope against the route's space and the
// space of every destination app (gorouter checks the backend a request
// lands on; a shared route's backends may sit in other spaces): a caller is
// admitted only as what every one of them admits, so the mesh is never
// looser than gorouter, only stricter for routes spanning spaces (ADR 8).
func (ix scopeIndex) applyScopeToBackends(scope string, route source.DesiredRoute, c source.Caller) (source.Caller, bool, error) {
	spaces := []string{route.SpaceGUID}
	for _, d := range route.Destinations {
		if space, known := ix.appSpaces[strings.ToLower(d.AppGUID)]; known && space != "" && !slices.Contains(spaces, space) {
			spaces = append(spaces, space)
		}
	}
	var admitted source.Caller
	for i, space := range spaces {
		each, ok, err := ix.applyScope(scope, space, c)
		if err != nil || !ok {
			return source.Caller{}, false, err
		}
		if i > 0 && each != admitted {
			return source.Caller{}, false, nil
		}
		admitted = each
	}
	return admitted, true, nil
}

// withinOrganization admits what a caller admits within the organization
// of the route's space.
func (ix scopeIndex) withinOrganization(routeSpace string, c source.Caller) (source.Caller, bool, error) {
	org, err := ix.routeOrganization(routeSpace)
	if err != nil {
		return source.Caller{}, false, err
	}
	switch c.Kind {
	case source.CallerAny:
		admitted, err := source.NewCaller(source.CallerOrganization, org)
		return admitted, err == nil, err
	case source.CallerOrganization:
		return c, c.GUID == org, nil
	case source.CallerSpace:
		callerOrg, err := ix.organizationOf(c.GUID)
		return c, err == nil && callerOrg == org, err
	case source.CallerApp:
		space, err := ix.spaceOf(c.GUID)
		if err != nil {
			return source.Caller{}, false, err
		}
		callerOrg, err := ix.organizationOf(space)
		if err != nil {
			return source.Caller{}, false, fmt.Errorf("app %s: %w", c.GUID, err)
		}
		return c, callerOrg == org, nil
	}
	return source.Caller{}, false, fmt.Errorf("caller kind %q is unknown", c.Kind)
}

// withinSpace admits what a caller admits within the route's space.
func (ix scopeIndex) withinSpace(routeSpace string, c source.Caller) (source.Caller, bool, error) {
	if routeSpace == "" {
		return source.Caller{}, false, errNoRouteSpace
	}
	switch c.Kind {
	case source.CallerAny:
		admitted, err := source.NewCaller(source.CallerSpace, routeSpace)
		return admitted, err == nil, err
	case source.CallerOrganization:
		org, err := ix.routeOrganization(routeSpace)
		if err != nil || c.GUID != org {
			return source.Caller{}, false, err
		}
		admitted, err := source.NewCaller(source.CallerSpace, routeSpace)
		return admitted, err == nil, err
	case source.CallerSpace:
		return c, c.GUID == routeSpace, nil
	case source.CallerApp:
		space, err := ix.spaceOf(c.GUID)
		return c, err == nil && space == routeSpace, err
	}
	return source.Caller{}, false, fmt.Errorf("caller kind %q is unknown", c.Kind)
}

var errNoRouteSpace = errors.New("the route names no space")

// routeOrganization is the organization of the route's space.
func (ix scopeIndex) routeOrganization(routeSpace string) (string, error) {
	if routeSpace == "" {
		return "", errNoRouteSpace
	}
	org, known := ix.spaceOrgs[routeSpace]
	switch {
	case !known:
		return "", fmt.Errorf("the route's space %s is not known", routeSpace)
	case org == "":
		return "", fmt.Errorf("the route's space %s names no organization", routeSpace)
	}
	return org, nil
}

// organizationOf is a caller space's organization.
func (ix scopeIndex) organizationOf(space string) (string, error) {
	org, known := ix.spaceOrgs[space]
	switch {
	case !known:
		return "", fmt.Errorf("space %s is not known", space)
	case org == "":
		return "", fmt.Errorf("space %s names no organization", space)
	}
	return org, nil
}

// spaceOf is a caller app's space.
func (ix scopeIndex) spaceOf(app string) (string, error) {
	space, known := ix.appSpaces[app]
	switch {
	case !known:
		return "", fmt.Errorf("app %s is not known", app)
	case space == "":
		return "", fmt.Errorf("app %s names no space", app)
	}
	return space, nil
}
