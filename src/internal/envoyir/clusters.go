package envoyir

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// buildClusters builds every referenced cluster and its endpoints, sorted
// by name (each name formatted once: formatting them in the comparison was
// a third of a translation at 10k hosts, issue 8).
func (t *translation) buildClusters() {
	type namedRef struct {
		name string
		ref  clusterRef
	}
	refs := make([]namedRef, 0, len(t.clusters))
	for ref := range t.clusters {
		refs = append(refs, namedRef{ClusterName(ref.port, ref.subset, ref.host), ref})
	}
	slices.SortFunc(refs, func(a, b namedRef) int { return strings.Compare(a.name, b.name) })
	t.ir.Clusters = make([]Cluster, 0, len(refs))
	t.ir.LoadAssignments = make([]LoadAssignment, 0, len(refs))
	for _, r := range refs {
		ref := r.ref
		se := t.services[ref.host]
		rule := t.rules[ref.host]
		t.ir.Clusters = append(t.ir.Clusters, Cluster{
			Name: r.name, Host: ref.host, Port: ref.port, Subset: ref.subset,
			LoadBalancing: loadBalancing(rule), HTTP2: isHTTP2(servicePort(se, ref.port)),
		})
		t.ir.LoadAssignments = append(t.ir.LoadAssignments, LoadAssignment{Cluster: r.name, Endpoints: t.clusterEndpoints(ref, se, rule)})
	}
}

// endpoints selects the ServiceEntry endpoints a subset's labels match, on
// the endpoint port mapped to the service port (the service port number
// itself when the endpoint maps none, as Istio does, unless it registered
// only a TLS port), with its TLS port and SAN (mesh.TLSProxyPortName).
func (t *translation) endpoints(ref clusterRef, se *networking.ServiceEntry, rule *networking.DestinationRule) []Endpoint {
	name := ClusterName(ref.port, ref.subset, ref.host)
	if se == nil {
		t.errs = append(t.errs, fmt.Errorf("cluster %s: no ServiceEntry for host %s; it has no endpoints", name, ref.host))
		return nil
	}
	sp := servicePort(se, ref.port)
	if sp == nil {
		t.errs = append(t.errs, fmt.Errorf("cluster %s: the ServiceEntry for %s has no port %d; it has no endpoints", name, ref.host, ref.port))
		return nil
	}
	selector, ok := subsetLabels(rule, ref.subset)
	if !ok {
		t.errs = append(t.errs, fmt.Errorf("cluster %s: no DestinationRule defines subset %q of %s; it has no endpoints", name, ref.subset, ref.host))
		return nil
	}
	var out []Endpoint
	for _, we := range se.GetEndpoints() {
		if !labelsMatch(we.GetLabels(), selector) {
			continue
		}
		tlsPort := we.GetPorts()[mesh.TLSProxyPortName]
		if tlsPort != 0 && we.GetServiceAccount() == "" {
			// Without a SAN to verify, TLS would prove nothing about which
			// instance answers (route integrity): use the plain port.
			t.errs = append(t.errs, fmt.Errorf("cluster %s: endpoint %s has tls_port %d but no SAN (server_cert_domain_san) to verify; it is reached on its plain port", name, we.GetAddress(), tlsPort))
			tlsPort = 0
		}
		port, mapped := we.GetPorts()[sp.GetName()]
		switch {
		case mapped:
		case tlsPort != 0:
			port = 0 // registered TLS only: no plaintext port
		default:
			port = sp.GetNumber()
		}
		out = append(out, Endpoint{Address: we.GetAddress(), Port: port, TLSPort: tlsPort, SAN: we.GetServiceAccount()})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Address != out[j].Address {
			return out[i].Address < out[j].Address
		}
		return out[i].Port < out[j].Port
	})
	return out
}

func servicePort(se *networking.ServiceEntry, number uint32) *networking.ServicePort {
	for _, p := range se.GetPorts() {
		if p.GetNumber() == number {
			return p
		}
	}
	return nil
}

// subsetLabels returns the labels of a named subset; the empty subset
// selects every endpoint.
func subsetLabels(rule *networking.DestinationRule, subset string) (map[string]string, bool) {
	if subset == "" {
		return nil, true
	}
	for _, s := range rule.GetSubsets() {
		if s.GetName() == subset {
			return s.GetLabels(), true
		}
	}
	return nil, false
}

func labelsMatch(labels, selector map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func loadBalancing(rule *networking.DestinationRule) LoadBalancing {
	if rule.GetTrafficPolicy().GetLoadBalancer().GetSimple() == networking.LoadBalancerSettings_LEAST_REQUEST {
		return LeastRequest
	}
	return RoundRobin
}

func isHTTP2(p *networking.ServicePort) bool {
	switch p.GetProtocol() {
	case "HTTP2", "GRPC":
		return true
	}
	return false
}
