package meshconfig

import (
	"fmt"
	"sort"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	typev1beta1 "istio.io/api/type/v1beta1"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
)

// GatewayRoutePoliciesName names the ingress gateway's AuthorizationPolicy.
const GatewayRoutePoliciesName = "copilot-gateway-route-policies"

// gatewaySelector picks the ingress gateways, as the Gateway does.
func gatewaySelector() map[string]string { return map[string]string{"istio": "ingressgateway"} }

// enforcingHosts are the external hosts whose routes enforce route
// policies (RFC-0055): callers reach them through the ingress gateway and
// present their instance identity there. Sorted.
func enforcingHosts(table routingtable.Table, opts Options) []string {
	seen := map[string]bool{}
	var hosts []string
	for _, r := range table.Routes {
		if r.EnforceRoutePolicies && !r.Internal && !opts.internal(r.Host) && !seen[r.Host] {
			seen[r.Host] = true
			hosts = append(hosts, r.Host)
		}
	}
	sort.Strings(hosts)
	return hosts
}

// mutualServers serve the enforcing hosts each frontend certificate covers
// in mutual TLS: a caller presents its instance identity, which the
// gateway verifies against the instance identity CA. A host no
// certificate covers cannot be reached with an identity; it is reported
// (and admits nobody, as the gateway's policy says).
func mutualServers(opts Options, hosts []string) ([]*networking.Server, []error) {
	byCert := map[string][]string{}
	var errs []error
	for _, host := range hosts {
		covered := false
		for _, c := range opts.FrontendCertificates {
			if certificateCovers(c.Hosts, host) {
				byCert[c.Name] = append(byCert[c.Name], host)
				covered = true
				break
			}
		}
		if !covered {
			errs = append(errs, fmt.Errorf("host %s enforces route policies, but no frontend certificate covers it: no caller can present its identity, so it admits nobody", host))
		}
	}
	var servers []*networking.Server
	for _, c := range opts.FrontendCertificates {
		if len(byCert[c.Name]) == 0 {
			continue
		}
		servers = append(servers, &networking.Server{
			Port:  &networking.Port{Number: opts.GatewayHTTPSPort, Name: "https-" + c.Name + "-mtls", Protocol: "HTTPS"},
			Hosts: byCert[c.Name],
			Tls: &networking.ServerTLSSettings{
				Mode:               networking.ServerTLSSettings_MUTUAL,
				CredentialName:     c.Name,
				MinProtocolVersion: networking.ServerTLSSettings_TLSV1_2,
			},
		})
	}
	return servers, errs
}

// certificateCovers applies TLS name matching: an exact name, or a
// wildcard standing for one label.
func certificateCovers(names []string, host string) bool {
	for _, n := range names {
		if n == host {
			return true
		}
		if domain, ok := strings.CutPrefix(n, "*."); ok {
			if _, parent, found := strings.Cut(host, "."); found && parent == domain {
				return true
			}
		}
	}
	return false
}

// gatewayRoutePolicies admits, at the ingress gateway, each enforcing
// route's callers to its host and path, and anyone to every other host.
// Nil when no route enforces route policies.
func gatewayRoutePolicies(table routingtable.Table, hosts []string) (*mesh.Resource, error) {
	if len(hosts) == 0 {
		return nil, nil
	}
	enforcing := map[string]bool{}
	for _, h := range hosts {
		enforcing[h] = true
	}
	byHost := map[string][]routingtable.Route{}
	for _, r := range table.Routes {
		byHost[r.Host] = append(byHost[r.Host], r)
	}
	var rules []*security.Rule
	for _, r := range table.Routes {
		if !enforcing[r.Host] || !r.EnforceRoutePolicies || len(r.RoutePolicies) == 0 {
			continue
		}
		var principals []string
		for _, c := range r.RoutePolicies {
			principals = append(principals, c.String())
		}
		rules = append(rules, routeRule(r, byHost[r.Host], principals))
	}
	rules = append(rules, &security.Rule{To: []*security.Rule_To{{Operation: &security.Operation{NotHosts: hosts}}}})
	spec := &security.AuthorizationPolicy{
		Selector: &typev1beta1.WorkloadSelector{MatchLabels: gatewaySelector()},
		Action:   security.AuthorizationPolicy_ALLOW,
		Rules:    rules,
	}
	r, err := mesh.NewResource(mesh.KindAuthorizationPolicy, mesh.Namespace, GatewayRoutePoliciesName, spec, nil, nil)
	if err != nil {
		return nil, err
	}
	return &r, nil
}
