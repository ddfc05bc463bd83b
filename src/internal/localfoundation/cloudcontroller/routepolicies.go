package cloudcontroller

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The route policy audit events (cloud_controller_ng
// app/repositories/route_policy_event_repository.rb).
const (
	eventRoutePolicyCreate = "audit.route_policy.create"
	eventRoutePolicyDelete = "audit.route_policy.delete"
)

// Route policy scopes a domain may have (`route_policies_scope`).
const (
	ScopeAny          = "any"
	ScopeOrganization = "org"
	ScopeSpace        = "space"
)

// routePolicySource is Cloud Controller's RoutePolicy::SOURCE_REGEX.
var routePolicySource = regexp.MustCompile(`^(cf:(app|space|org):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|cf:any)$`)

type routePolicy struct {
	guid, routeGUID, source string
	createdAt               time.Time
}

// sourceParts splits a source into the type and GUID Cloud Controller
// stores (`any` and "" for cf:any; the raw text for a source that does not
// parse).
func (p *routePolicy) sourceParts() (kind, guid string) {
	if p.source == "cf:any" {
		return "any", ""
	}
	parts := strings.SplitN(p.source, ":", 3)
	if len(parts) != 3 || parts[0] != "cf" {
		return "", p.source
	}
	return parts[1], parts[2]
}

// AddEnforcingDomain adds a shared HTTP domain that enforces route policies
// (RFC-0055: `cf create-shared-domain --enforce-route-policies --scope`),
// with scope ScopeAny, ScopeOrganization or ScopeSpace, and returns its
// GUID. Like Cloud Controller, the setting is fixed at creation.
func (cc *CloudController) AddEnforcingDomain(name, scope string) (string, error) {
	if !slices.Contains([]string{ScopeAny, ScopeOrganization, ScopeSpace}, scope) {
		return "", unprocessable("Route policies scope must be one of 'any', 'org', 'space'")
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	d := &domain{guid: newGUID(), name: name, enforce: true, scope: scope, createdAt: cc.now()}
	cc.domains = append(cc.domains, d)
	return d.guid, nil
}

// AddRoutePolicy creates a route policy as `POST /v3/route_policies` does,
// with Cloud Controller's validation, recording `audit.route_policy.create`,
// and returns its GUID. The error is an *APIError.
func (cc *CloudController) AddRoutePolicy(routeGUID, source string) (string, error) {
	p, apiErr := cc.createRoutePolicy(routeGUID, source)
	if apiErr != nil {
		return "", apiErr
	}
	return p.guid, nil
}

// AddUncheckedRoutePolicy stores a route policy without any validation and
// records its creation: a row Cloud Controller's API would refuse (a
// malformed source, a route on a domain that does not enforce), as data
// migrations or older releases may leave behind.
func (cc *CloudController) AddUncheckedRoutePolicy(routeGUID, source string) string {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.storeRoutePolicy(routeGUID, source).guid
}

// DeleteRoutePolicy deletes a route policy as
// `DELETE /v3/route_policies/:guid` does, recording
// `audit.route_policy.delete`. The error is an *APIError.
func (cc *CloudController) DeleteRoutePolicy(guid string) error {
	if apiErr := cc.deleteRoutePolicy(guid); apiErr != nil {
		return apiErr
	}
	return nil
}

// createRoutePolicy applies RoutePoliciesController#create's and
// RoutePolicyCreate's checks, then stores the policy.
func (cc *CloudController) createRoutePolicy(routeGUID, source string) (*routePolicy, *APIError) {
	if cc.opts.NoRoutePolicies {
		return nil, errUnknownRequest
	}
	if !routePolicySource.MatchString(source) {
		return nil, unprocessable("Source must be in format 'cf:app:<uuid>', 'cf:space:<uuid>', 'cf:org:<uuid>', or 'cf:any'")
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	rt := cc.findRoute(routeGUID)
	if rt == nil {
		return nil, errRouteNotFound
	}
	d := cc.findDomain(rt.domainGUID)
	switch {
	case d != nil && d.internal:
		return nil, unprocessable("Cannot create route policies for routes on internal domains. Internal routes use container-to-container networking and bypass GoRouter.")
	case d == nil || !d.enforce:
		return nil, unprocessable(fmt.Sprintf("Cannot create route policies for route '%s': the route's domain does not have enforce_route_policies enabled.", rt.guid))
	case d.scope == ScopeSpace && strings.HasPrefix(source, "cf:org:"):
		return nil, unprocessable(fmt.Sprintf("Source '%s' is not allowed: domain's route_policies_scope is 'space'.", source))
	}
	siblings := cc.policiesOf(rt.guid)
	switch {
	case slices.ContainsFunc(siblings, func(p *routePolicy) bool { return p.source == source }):
		return nil, unprocessable(fmt.Sprintf("A route policy with source '%s' already exists for this route.", source))
	case source == "cf:any" && len(siblings) > 0:
		return nil, unprocessable("source 'cf:any' cannot coexist with other route policies on the same route")
	case slices.ContainsFunc(siblings, func(p *routePolicy) bool { return p.source == "cf:any" }):
		return nil, unprocessable("source cannot coexist with the existing 'cf:any' policy on this route")
	}
	return cc.storeRoutePolicy(rt.guid, source), nil
}

// storeRoutePolicy adds a policy and records its creation; the caller
// holds cc.mu.
func (cc *CloudController) storeRoutePolicy(routeGUID, source string) *routePolicy {
	p := &routePolicy{guid: newGUID(), routeGUID: routeGUID, source: source, createdAt: cc.now()}
	cc.routePolicies = append(cc.routePolicies, p)
	cc.recordRoutePolicy(eventRoutePolicyCreate, p, map[string]any{"request": map[string]any{"source": source, "route_guid": routeGUID}})
	return p
}

func (cc *CloudController) deleteRoutePolicy(guid string) *APIError {
	if cc.opts.NoRoutePolicies {
		return errUnknownRequest
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	i := slices.IndexFunc(cc.routePolicies, func(p *routePolicy) bool { return p.guid == guid })
	if i < 0 {
		return errRoutePolicyNotFound
	}
	p := cc.routePolicies[i]
	cc.routePolicies = slices.Delete(cc.routePolicies, i, i+1)
	cc.recordRoutePolicy(eventRoutePolicyDelete, p, map[string]any{})
	return nil
}

// recordRoutePolicy records a route policy event in its route's space; the
// caller holds cc.mu.
func (cc *CloudController) recordRoutePolicy(eventType string, p *routePolicy, data map[string]any) {
	spaceGUID := ""
	if rt := cc.findRoute(p.routeGUID); rt != nil {
		spaceGUID = rt.spaceGUID
	}
	cc.record(eventType, target{p.guid, "route_policy", p.source}, spaceGUID, cc.orgOf(spaceGUID), data)
}

// policiesOf returns a route's policies; the caller holds cc.mu.
func (cc *CloudController) policiesOf(routeGUID string) []*routePolicy {
	var out []*routePolicy
	for _, p := range cc.routePolicies {
		if p.routeGUID == routeGUID {
			out = append(out, p)
		}
	}
	return out
}

// deletePoliciesOf deletes a route's policies without events, as the
// database's cascade does when the route goes; the caller holds cc.mu.
func (cc *CloudController) deletePoliciesOf(routeGUID string) {
	cc.routePolicies = slices.DeleteFunc(cc.routePolicies, func(p *routePolicy) bool { return p.routeGUID == routeGUID })
}

type routePolicyJSON struct {
	GUID          string                  `json:"guid"`
	CreatedAt     time.Time               `json:"created_at"`
	UpdatedAt     time.Time               `json:"updated_at"`
	Source        string                  `json:"source"`
	Metadata      metadataJSON            `json:"metadata"`
	Relationships map[string]relationship `json:"relationships"`
	Links         map[string]href         `json:"links"`
}

// presentRoutePolicy renders a policy as RoutePolicyPresenter does.
func presentRoutePolicy(base string, p *routePolicy) routePolicyJSON {
	kind, guid := p.sourceParts()
	out := routePolicyJSON{
		GUID: p.guid, CreatedAt: p.createdAt, UpdatedAt: p.createdAt, Source: p.source, Metadata: emptyMetadata(),
		Relationships: map[string]relationship{"route": {Data: &guidRef{GUID: p.routeGUID}}, "app": {}, "space": {}, "organization": {}},
		Links: map[string]href{
			"self":  {base + "/v3/route_policies/" + p.guid},
			"route": {base + "/v3/routes/" + p.routeGUID},
		},
	}
	for key, path := range map[string]string{"app": "apps", "space": "spaces", "org": "organizations"} {
		if kind != key {
			continue
		}
		name := map[string]string{"app": "app", "space": "space", "org": "organization"}[key]
		out.Relationships[name] = relationship{Data: &guidRef{GUID: guid}}
		out.Links[name] = href{base + "/v3/" + path + "/" + guid}
	}
	return out
}

var routePolicyListSpec = listSpec{filters: []string{"guids", "route_guids", "space_guids", "sources", "source_guids"}}

// listRoutePolicies is `GET /v3/route_policies`.
func (cc *CloudController) listRoutePolicies(w http.ResponseWriter, r *http.Request) {
	if cc.opts.NoRoutePolicies {
		writeError(w, errUnknownRequest)
		return
	}
	for _, src := range strings.Split(r.URL.Query().Get("sources"), ",") {
		if src != "" && !routePolicySource.MatchString(src) {
			writeError(w, badQueryParameter("Sources contains invalid source format: "+src))
			return
		}
	}
	serveList(cc, w, r, "/v3/route_policies", routePolicyListSpec,
		func() []*routePolicy { return cc.routePolicies },
		func(p *routePolicy) attrs {
			spaceGUID := ""
			if rt := cc.findRoute(p.routeGUID); rt != nil {
				spaceGUID = rt.spaceGUID
			}
			_, sourceGUID := p.sourceParts()
			return attrs{createdAt: p.createdAt, updatedAt: p.createdAt, values: single(
				"guids", p.guid, "route_guids", p.routeGUID, "space_guids", spaceGUID, "sources", p.source, "source_guids", sourceGUID)}
		},
		func(base string, _ pageRequest, page []*routePolicy) (any, any) {
			resources := make([]routePolicyJSON, 0, len(page))
			for _, p := range page {
				resources = append(resources, presentRoutePolicy(base, p))
			}
			return resources, nil
		})
}

func (cc *CloudController) getRoutePolicy(w http.ResponseWriter, r *http.Request) {
	if cc.opts.NoRoutePolicies {
		writeError(w, errUnknownRequest)
		return
	}
	base := cc.base(r)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for _, p := range cc.routePolicies {
		if p.guid == r.PathValue("guid") {
			writeJSON(w, http.StatusOK, presentRoutePolicy(base, p))
			return
		}
	}
	writeError(w, errRoutePolicyNotFound)
}

// serveCreateRoutePolicy is `POST /v3/route_policies`.
func (cc *CloudController) serveCreateRoutePolicy(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		writeError(w, errParse)
		return
	}
	var req struct {
		Source        string `json:"source"`
		Relationships struct {
			Route struct {
				Data *guidRef `json:"data"`
			} `json:"route"`
		} `json:"relationships"`
	}
	if json.Unmarshal(body, &req) != nil {
		writeError(w, errParse)
		return
	}
	if req.Relationships.Route.Data == nil || req.Relationships.Route.Data.GUID == "" {
		writeError(w, unprocessable("Relationships Route must be a to-one relationship"))
		return
	}
	p, apiErr := cc.createRoutePolicy(req.Relationships.Route.Data.GUID, req.Source)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	writeJSON(w, http.StatusCreated, presentRoutePolicy(cc.base(r), p))
}

// serveDeleteRoutePolicy is `DELETE /v3/route_policies/:guid`: 204.
func (cc *CloudController) serveDeleteRoutePolicy(w http.ResponseWriter, r *http.Request) {
	if apiErr := cc.deleteRoutePolicy(r.PathValue("guid")); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
