package cloudcontroller

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cloudfoundry/go-cfclient/v3/resource"
)

// RoutePage is one page of `GET /v3/routes?include=domain`, as the poller
// reads it, both for full syncs and targeted refreshes: go-cfclient's
// route list options have no `guids` filter, and its resource.Domain drops
// the domains' route policy settings, so the poller sends these requests
// itself.
type RoutePage struct {
	Routes  []*resource.Route
	Domains []*resource.Domain
	// DomainPolicies holds one entry per included domain.
	DomainPolicies []DomainPolicy
	// Next is true when Cloud Controller says another page follows.
	Next bool
}

// domainPolicyJSON is the part of a domain go-cfclient does not decode.
type domainPolicyJSON struct {
	GUID                 string  `json:"guid"`
	EnforceRoutePolicies *bool   `json:"enforce_route_policies"`
	RoutePoliciesScope   *string `json:"route_policies_scope"`
}

// DecodeRoutePage decodes a route page. It refuses what go-cfclient would
// choke on or what would silently lose data: anything but a JSON object, a
// page without `pagination` or `resources`, or without `included` (asked
// for), nil routes, and an included domain whose route policy fields are
// not a boolean and a string.
func DecodeRoutePage(data []byte) (RoutePage, error) {
	var raw struct {
		Pagination *resource.Pagination `json:"pagination"`
		Resources  []*resource.Route    `json:"resources"`
		Included   *struct {
			Domains []json.RawMessage `json:"domains"`
		} `json:"included"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return RoutePage{}, fmt.Errorf("decoding a route page: %w", err)
	}
	switch {
	case raw.Pagination == nil:
		return RoutePage{}, errors.New("route page has no pagination")
	case raw.Resources == nil:
		return RoutePage{}, errors.New("route page has no resources")
	case raw.Included == nil:
		return RoutePage{}, errors.New("route page has no included domains")
	}
	for i, r := range raw.Resources {
		if r == nil || r.GUID == "" {
			return RoutePage{}, fmt.Errorf("route page resources[%d] is not a route with a guid", i)
		}
	}
	page := RoutePage{Routes: raw.Resources, Next: raw.Pagination.Next.Href != ""}
	for i, d := range raw.Included.Domains {
		domain, policy, err := decodeDomain(d)
		if err != nil {
			return RoutePage{}, fmt.Errorf("route page included domains[%d]: %w", i, err)
		}
		page.Domains = append(page.Domains, domain)
		if domain != nil {
			page.DomainPolicies = append(page.DomainPolicies, policy)
		}
	}
	return page, nil
}

// decodeDomain decodes one included domain as go-cfclient does, plus its
// route policy setting; `null` decodes to a nil domain, as go-cfclient's
// would.
func decodeDomain(data json.RawMessage) (*resource.Domain, DomainPolicy, error) {
	var domain *resource.Domain
	if err := json.Unmarshal(data, &domain); err != nil || domain == nil {
		return nil, DomainPolicy{}, err
	}
	var p domainPolicyJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, DomainPolicy{}, fmt.Errorf("route policy fields: %w", err)
	}
	policy := DomainPolicy{DomainGUID: domain.GUID}
	if p.EnforceRoutePolicies != nil && *p.EnforceRoutePolicies {
		policy.Enforce = true
		if p.RoutePoliciesScope != nil {
			policy.Scope = *p.RoutePoliciesScope
		}
	}
	return domain, policy, nil
}
