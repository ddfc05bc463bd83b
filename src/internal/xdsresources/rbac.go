package xdsresources

import (
	"fmt"
	"net/netip"
	"regexp"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	rbachttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// rbacFilterName is the HTTP RBAC filter. Inbound connection managers carry
// it with no rules (it enforces nothing); an app's authorization overrides
// it per virtual host, so a policy change travels in RDS and never drains a
// listener.
const rbacFilterName = "envoy.filters.http.rbac"

var rbacFilter = httpFilter(rbacFilterName, &rbachttpv3.RBAC{})

// rbacRules turns an app's authorization into Envoy RBAC: one ALLOW policy
// per rule, so a request is admitted when any rule matches, and nothing is
// admitted when there is no rule.
func rbacRules(a *envoyir.Authorization) *rbacv3.RBAC {
	return rbacPolicies(a.Rules)
}

// connectionRBACRules are the rules a connection without HTTP can match,
// for the network RBAC filter: Envoy refuses header and path conditions
// there, and they never match a connection anyway, so an operation with
// them is left out, and a rule left without operations is left out.
func connectionRBACRules(a *envoyir.Authorization) *rbacv3.RBAC {
	var rules []envoyir.AuthorizationRule
	for _, rule := range a.Rules {
		if len(rule.To) == 0 {
			rules = append(rules, rule)
			continue
		}
		var ops []envoyir.AuthorizationOperation
		for _, op := range rule.To {
			if len(op.Hosts)+len(op.NotHosts)+len(op.Paths)+len(op.NotPaths) == 0 {
				ops = append(ops, op)
			}
		}
		if len(ops) > 0 {
			rules = append(rules, envoyir.AuthorizationRule{From: rule.From, To: ops})
		}
	}
	return rbacPolicies(rules)
}

func rbacPolicies(rules []envoyir.AuthorizationRule) *rbacv3.RBAC {
	out := &rbacv3.RBAC{Action: rbacv3.RBAC_ALLOW, Policies: map[string]*rbacv3.Policy{}}
	for i, rule := range rules {
		out.Policies[fmt.Sprintf("rule-%d", i)] = &rbacv3.Policy{
			Permissions: []*rbacv3.Permission{permissionOf(rule.To)},
			Principals:  []*rbacv3.Principal{principalOf(rule.From)},
		}
	}
	return out
}

// rbacOverride is a virtual host's typed_per_filter_config enforcing an
// app's authorization; nil when no policy governs the app.
func rbacOverride(a *envoyir.Authorization) (map[string]*anypb.Any, error) {
	if a == nil {
		return nil, nil
	}
	typed, err := toAny(&rbachttpv3.RBACPerRoute{Rbac: &rbachttpv3.RBAC{Rules: rbacRules(a)}})
	if err != nil {
		return nil, err
	}
	return map[string]*anypb.Any{rbacFilterName: typed}, nil
}

func permissionOf(ops []envoyir.AuthorizationOperation) *rbacv3.Permission {
	if len(ops) == 0 {
		return &rbacv3.Permission{Rule: &rbacv3.Permission_Any{Any: true}}
	}
	var any []*rbacv3.Permission
	for _, op := range ops {
		var all []*rbacv3.Permission
		if len(op.Hosts) > 0 {
			all = append(all, orPermissions(op.Hosts, hostPermission))
		}
		if len(op.NotHosts) > 0 {
			all = append(all, &rbacv3.Permission{Rule: &rbacv3.Permission_NotRule{NotRule: orPermissions(op.NotHosts, hostPermission)}})
		}
		if len(op.Ports) > 0 {
			all = append(all, orPermissions(op.Ports, func(p uint32) *rbacv3.Permission {
				return &rbacv3.Permission{Rule: &rbacv3.Permission_DestinationPort{DestinationPort: p}}
			}))
		}
		if len(op.Paths) > 0 {
			all = append(all, orPermissions(op.Paths, pathPermission))
		}
		if len(op.NotPaths) > 0 {
			all = append(all, &rbacv3.Permission{Rule: &rbacv3.Permission_NotRule{NotRule: orPermissions(op.NotPaths, pathPermission)}})
		}
		if len(all) == 0 {
			all = append(all, &rbacv3.Permission{Rule: &rbacv3.Permission_Any{Any: true}})
		}
		any = append(any, &rbacv3.Permission{Rule: &rbacv3.Permission_AndRules{AndRules: &rbacv3.Permission_Set{Rules: all}}})
	}
	return &rbacv3.Permission{Rule: &rbacv3.Permission_OrRules{OrRules: &rbacv3.Permission_Set{Rules: any}}}
}

func orPermissions[T any](values []T, one func(T) *rbacv3.Permission) *rbacv3.Permission {
	set := &rbacv3.Permission_Set{}
	for _, v := range values {
		set.Rules = append(set.Rules, one(v))
	}
	return &rbacv3.Permission{Rule: &rbacv3.Permission_OrRules{OrRules: set}}
}

// hostPermission matches the request's authority with or without a port.
func hostPermission(host string) *rbacv3.Permission {
	return &rbacv3.Permission{Rule: &rbacv3.Permission_Header{Header: authorityMatcher(regexp.QuoteMeta(host) + `(:[0-9]+)?`)}}
}

// authorityMatcher matches a request whose whole authority matches regex
// (Envoy's safe_regex matches the whole value).
func authorityMatcher(regex string) *routev3.HeaderMatcher {
	return &routev3.HeaderMatcher{
		Name: ":authority",
		HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{
			MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: regex}},
		}},
	}
}

func pathPermission(p envoyir.PathMatch) *rbacv3.Permission {
	m := &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: p.Exact}}
	if p.Prefix != "" {
		m.MatchPattern = &matcherv3.StringMatcher_Prefix{Prefix: p.Prefix}
	}
	return &rbacv3.Permission{Rule: &rbacv3.Permission_UrlPath{UrlPath: &matcherv3.PathMatcher{
		Rule: &matcherv3.PathMatcher_Path{Path: m},
	}}}
}

func principalOf(sources []envoyir.AuthorizationSource) *rbacv3.Principal {
	if len(sources) == 0 {
		return &rbacv3.Principal{Identifier: &rbacv3.Principal_Any{Any: true}}
	}
	var any []*rbacv3.Principal
	for _, s := range sources {
		var all []*rbacv3.Principal
		if len(s.Principals) > 0 {
			all = append(all, orPrincipals(s.Principals, callerPrincipal))
		}
		if len(s.NotIPBlocks) > 0 {
			all = append(all, &rbacv3.Principal{Identifier: &rbacv3.Principal_NotId{NotId: orPrincipals(s.NotIPBlocks, peerInBlock)}})
		}
		if len(all) == 0 {
			all = append(all, &rbacv3.Principal{Identifier: &rbacv3.Principal_Any{Any: true}})
		}
		any = append(any, &rbacv3.Principal{Identifier: &rbacv3.Principal_AndIds{AndIds: &rbacv3.Principal_Set{Ids: all}}})
	}
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_OrIds{OrIds: &rbacv3.Principal_Set{Ids: any}}}
}

func orPrincipals[T any](values []T, one func(T) *rbacv3.Principal) *rbacv3.Principal {
	set := &rbacv3.Principal_Set{}
	for _, v := range values {
		set.Ids = append(set.Ids, one(v))
	}
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_OrIds{OrIds: set}}
}

// callerPrincipal matches a caller by its instance identity certificate
// (ADR 13): any authenticated caller for `*`, otherwise one whose subject
// carries the OU (`app:<guid>`, `space:<guid>`, `organization:<guid>`).
// Envoy matches principal_name against the URI SANs, the DNS SANs, then the
// subject (RFC 2253, where the OUs Diego writes form one multi-valued RDN
// joined by `+`); the pattern cannot match a SAN, which Diego makes the
// instance GUID and IP.
func callerPrincipal(p mesh.Principal) *rbacv3.Principal {
	if p.Kind == mesh.PrincipalAny {
		return &rbacv3.Principal{Identifier: &rbacv3.Principal_Authenticated_{Authenticated: &rbacv3.Principal_Authenticated{}}}
	}
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_Authenticated_{Authenticated: &rbacv3.Principal_Authenticated{
		PrincipalName: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{
			Regex: OrganizationalUnitPattern(p.OrganizationalUnit()),
		}}},
	}}}
}

// OrganizationalUnitPattern is the regular expression a certificate
// subject matches (as a whole) when it carries the OU.
func OrganizationalUnitPattern(ou string) string {
	return `(.*[,+])?OU=` + regexp.QuoteMeta(ou) + `([,+].*)?`
}

// peerInBlock matches a direct peer inside the CIDR. A block that does not
// parse (envoyir never yields one) matches every peer, so the rule's
// not-in-block matches none: closed.
func peerInBlock(block string) *rbacv3.Principal {
	prefix, err := netip.ParsePrefix(block)
	if err != nil {
		return &rbacv3.Principal{Identifier: &rbacv3.Principal_Any{Any: true}}
	}
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_DirectRemoteIp{DirectRemoteIp: &corev3.CidrRange{
		AddressPrefix: prefix.Addr().String(),
		PrefixLen:     wrapperspb.UInt32(uint32(prefix.Bits())),
	}}}
}
