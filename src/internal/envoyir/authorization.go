package envoyir

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	security "istio.io/api/security/v1beta1"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// Authorization is who may call an app: a request is admitted when any rule
// matches it; with no rule, nothing is admitted.
type Authorization struct {
	Rules []AuthorizationRule `json:"rules,omitempty"`
}

// AuthorizationRule matches a request when one of its sources matches the
// caller and one of its operations matches the request (an empty list
// matches everything).
type AuthorizationRule struct {
	From []AuthorizationSource    `json:"from,omitempty"`
	To   []AuthorizationOperation `json:"to,omitempty"`
}

// AuthorizationSource matches a caller when every set field matches: one
// of the principals (from its certificate), and a direct peer address
// outside every NotIPBlock.
type AuthorizationSource struct {
	Principals  []mesh.Principal `json:"principals,omitempty"`
	NotIPBlocks []string         `json:"not_ip_blocks,omitempty"`
}

// AuthorizationOperation matches a request when every set field matches:
// one of the hosts (with or without a port) and none of the not-hosts, one
// of the destination ports, one of the paths and none of the not-paths.
type AuthorizationOperation struct {
	Hosts    []string    `json:"hosts,omitempty"`
	NotHosts []string    `json:"not_hosts,omitempty"`
	Ports    []uint32    `json:"ports,omitempty"`
	Paths    []PathMatch `json:"paths,omitempty"`
	NotPaths []PathMatch `json:"not_paths,omitempty"`
}

// PathMatch is an exact path, or a prefix (Istio's trailing `*`).
type PathMatch struct {
	Exact  string `json:"exact,omitempty"`
	Prefix string `json:"prefix,omitempty"`
}

// authorizations translates ALLOW AuthorizationPolicies into each selected
// app's rules. What cannot be enforced fails closed: a rule with a field
// cf-mesh does not enforce is left out (an ALLOW rule less admits less), and
// an app a DENY or CUSTOM policy selects admits nothing at all, whatever
// ALLOW policies say (those actions would take precedence in Istio).
func (t *translation) authorizations(resources []mesh.Resource) map[string]*Authorization {
	out := map[string]*Authorization{}
	closed := map[string]bool{}
	gatewayClosed := false
	for _, r := range resources {
		ap := r.Spec.(*security.AuthorizationPolicy)
		apps := t.selectedApps(ap)
		switch ap.GetAction() {
		case security.AuthorizationPolicy_ALLOW:
		case security.AuthorizationPolicy_AUDIT:
			t.fail(r, "action AUDIT is not enforced and changes nothing")
			continue
		default:
			t.fail(r, "action %s is not enforced; the apps it selects admit no mesh caller", ap.GetAction())
			for _, app := range apps {
				closed[app] = true
			}
			gatewayClosed = gatewayClosed || t.selectsGateways(ap)
			continue
		}
		rules := t.authorizationRules(r, ap.GetRules())
		if t.selectsGateways(ap) {
			if t.ir.GatewayAuthorization == nil {
				t.ir.GatewayAuthorization = &Authorization{}
			}
			t.ir.GatewayAuthorization.Rules = append(t.ir.GatewayAuthorization.Rules, rules...)
		}
		for _, app := range apps {
			if out[app] == nil {
				out[app] = &Authorization{}
			}
			out[app].Rules = append(out[app].Rules, rules...)
		}
	}
	for app := range closed {
		out[app] = &Authorization{}
	}
	if gatewayClosed {
		t.ir.GatewayAuthorization = &Authorization{}
	}
	return out
}

// selectsGateways says whether a policy applies to the ingress gateways: it
// has no selector, or the selector's labels are those a Gateway selects its
// workloads by.
func (t *translation) selectsGateways(ap *security.AuthorizationPolicy) bool {
	selector := ap.GetSelector().GetMatchLabels()
	if len(selector) == 0 {
		return len(t.gatewayLabels) > 0
	}
	for _, labels := range t.gatewayLabels {
		if labelsMatch(labels, selector) {
			return true
		}
	}
	return false
}

// selectedApps are the apps a policy's selector picks, as Istio selects
// workloads: an app is selected when one of its endpoints carries every
// label of the selector (mesh.AppGUIDLabel picks one app); no selector
// picks every app.
func (t *translation) selectedApps(ap *security.AuthorizationPolicy) []string {
	selector := ap.GetSelector().GetMatchLabels()
	if app, ok := selector[mesh.AppGUIDLabel]; ok {
		// Only that app's endpoints can carry the label.
		if t.workloads.selects(app, selector) {
			return []string{app}
		}
		return nil
	}
	var apps []string
	for app := range t.workloads.labels {
		if t.workloads.selects(app, selector) {
			apps = append(apps, app)
		}
	}
	sort.Strings(apps)
	return apps
}

func (t *translation) authorizationRules(r mesh.Resource, rules []*security.Rule) []AuthorizationRule {
	var out []AuthorizationRule
	for i, rule := range rules {
		ir, err := authorizationRule(rule)
		if err != nil {
			t.fail(r, "rules[%d] is left out (it admits no one): %v", i, err)
			continue
		}
		out = append(out, ir)
	}
	return out
}

func authorizationRule(rule *security.Rule) (AuthorizationRule, error) {
	if len(rule.GetWhen()) > 0 {
		return AuthorizationRule{}, fmt.Errorf("conditions (when) are not enforced")
	}
	var out AuthorizationRule
	for _, from := range rule.GetFrom() {
		s, err := authorizationSource(from.GetSource())
		if err != nil {
			return AuthorizationRule{}, err
		}
		out.From = append(out.From, s)
	}
	for _, to := range rule.GetTo() {
		op, err := authorizationOperation(to.GetOperation())
		if err != nil {
			return AuthorizationRule{}, err
		}
		out.To = append(out.To, op)
	}
	return out, nil
}

func authorizationSource(s *security.Source) (AuthorizationSource, error) {
	if len(s.GetNotPrincipals())+len(s.GetRequestPrincipals())+len(s.GetNotRequestPrincipals())+len(s.GetNamespaces())+
		len(s.GetNotNamespaces())+len(s.GetIpBlocks())+len(s.GetRemoteIpBlocks())+len(s.GetNotRemoteIpBlocks())+
		len(s.GetServiceAccounts())+len(s.GetNotServiceAccounts())+len(s.GetTrustDomains())+len(s.GetNotTrustDomains()) > 0 {
		return AuthorizationSource{}, fmt.Errorf("only principals and notIpBlocks are enforced in a source")
	}
	var out AuthorizationSource
	for _, p := range s.GetPrincipals() {
		principal, err := mesh.ParsePrincipal(p)
		if err != nil {
			return AuthorizationSource{}, err
		}
		out.Principals = append(out.Principals, principal)
	}
	for _, block := range s.GetNotIpBlocks() {
		prefix, err := parseIPBlock(block)
		if err != nil {
			return AuthorizationSource{}, err
		}
		out.NotIPBlocks = append(out.NotIPBlocks, prefix)
	}
	return out, nil
}

func parseIPBlock(block string) (string, error) {
	if prefix, err := netip.ParsePrefix(block); err == nil {
		return prefix.Masked().String(), nil
	}
	addr, err := netip.ParseAddr(block)
	if err != nil {
		return "", fmt.Errorf("ip block %q is neither an address nor a CIDR", block)
	}
	return netip.PrefixFrom(addr, addr.BitLen()).String(), nil
}

func authorizationOperation(op *security.Operation) (AuthorizationOperation, error) {
	if len(op.GetNotPorts())+len(op.GetMethods())+len(op.GetNotMethods()) > 0 {
		return AuthorizationOperation{}, fmt.Errorf("only hosts, notHosts, ports, paths and notPaths are enforced in an operation")
	}
	out := AuthorizationOperation{Hosts: op.GetHosts(), NotHosts: op.GetNotHosts()}
	for _, p := range op.GetPorts() {
		port, err := strconv.ParseUint(p, 10, 16)
		if err != nil || port == 0 {
			return AuthorizationOperation{}, fmt.Errorf("port %q is not a port", p)
		}
		out.Ports = append(out.Ports, uint32(port))
	}
	for _, p := range op.GetPaths() {
		out.Paths = append(out.Paths, pathMatchOf(p))
	}
	for _, p := range op.GetNotPaths() {
		out.NotPaths = append(out.NotPaths, pathMatchOf(p))
	}
	return out, nil
}

// pathMatchOf reads Istio's path syntax: `/x/*` is a prefix, anything else
// exact.
func pathMatchOf(p string) PathMatch {
	if prefix, ok := strings.CutSuffix(p, "*"); ok {
		return PathMatch{Prefix: prefix}
	}
	return PathMatch{Exact: p}
}
