package mcptest

import (
	"fmt"

	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	securityv1beta1 "istio.io/api/security/v1beta1"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// Foundation is a Config shaped like the copilot's meshconfig output for a
// foundation of hosts routes with endpointsPerHost app instances each: the
// `cloudfoundry-ingress` Gateway and, per host,
// `copilot-service-for-<host>` (an 80/20 split over two process GUIDs),
// `copilot-rule-for-<host>` and `copilot-service-entry-for-<host>` (the
// instances, labelled `cfapp: <process guid>`), plus one object of each
// policy kind, so every kind cf-mesh serves is present. Equal arguments give
// equal Configs.
func Foundation(hosts, endpointsPerHost int) mesh.Config {
	resources := []mesh.Resource{IngressGateway(), MeshSidecar(), PeerAuthentication(), AllowIngressPolicy()}
	for h := range hosts {
		host := FoundationHost(h)
		resources = append(resources,
			copilotVirtualService(host, processGUID(h, 0), processGUID(h, 1)),
			copilotDestinationRule(host, processGUID(h, 0), processGUID(h, 1)),
			FoundationServiceEntry(h, endpointsPerHost, -1),
		)
	}
	return Config(resources...)
}

// FoundationHost is the route host of host number h in a Foundation.
func FoundationHost(h int) string {
	return fmt.Sprintf("app-%05d.apps.example.com", h)
}

// FoundationServiceEntry is the ServiceEntry of host number h in a
// Foundation with endpoints instances. When moved is an instance index, that
// instance has moved to another cell port, as after a container restart; -1
// moves none.
func FoundationServiceEntry(h, endpoints, moved int) mesh.Resource {
	host := FoundationHost(h)
	se := &networkingv1alpha3.ServiceEntry{
		Hosts:      []string{host},
		Ports:      []*networkingv1alpha3.ServicePort{{Number: 8080, Name: "http-8080", Protocol: "HTTP"}},
		Location:   networkingv1alpha3.ServiceEntry_MESH_INTERNAL,
		Resolution: networkingv1alpha3.ServiceEntry_STATIC,
	}
	for i := range endpoints {
		port := uint32(61000 + i)
		if i == moved {
			port += 1000
		}
		se.Endpoints = append(se.Endpoints, &networkingv1alpha3.WorkloadEntry{
			Address: fmt.Sprintf("10.%d.%d.%d", 1+h/4096, (h/16)%256, 16*(h%16)+i%16),
			Ports:   map[string]uint32{"http-8080": port},
			Labels:  map[string]string{"cfapp": processGUID(h, i%2)},
		})
	}
	return must(mesh.NewResource(mesh.KindServiceEntry, mesh.Namespace, "copilot-service-entry-for-"+host, se, nil, nil))
}

// WithReplaced returns cfg with each of replacements put in place of the
// object of the same kind and key (or added).
func WithReplaced(cfg mesh.Config, replacements ...mesh.Resource) mesh.Config {
	replace := map[string]mesh.Resource{}
	for _, r := range replacements {
		replace[string(r.Kind)+" "+r.Key()] = r
	}
	var out []mesh.Resource
	for _, info := range mesh.Kinds() {
		for _, r := range cfg.Of(info.Kind) {
			id := string(r.Kind) + " " + r.Key()
			if next, ok := replace[id]; ok {
				r = next
				delete(replace, id)
			}
			out = append(out, r)
		}
	}
	for _, r := range replacements {
		if _, ok := replace[string(r.Kind)+" "+r.Key()]; ok {
			out = append(out, r)
		}
	}
	return Config(out...)
}

// Without returns cfg without the object of kind named key.
func Without(cfg mesh.Config, kind mesh.Kind, key string) mesh.Config {
	var out []mesh.Resource
	for _, info := range mesh.Kinds() {
		for _, r := range cfg.Of(info.Kind) {
			if r.Kind != kind || r.Key() != key {
				out = append(out, r)
			}
		}
	}
	return Config(out...)
}

// IngressGateway is the copilot's `cloudfoundry-ingress` Gateway.
func IngressGateway() mesh.Resource {
	return must(mesh.NewResource(mesh.KindGateway, mesh.Namespace, "cloudfoundry-ingress", &networkingv1alpha3.Gateway{
		Selector: map[string]string{"istio": "ingressgateway"},
		Servers: []*networkingv1alpha3.Server{
			{Port: &networkingv1alpha3.Port{Number: 80, Protocol: "HTTP", Name: "http"}, Hosts: []string{"*"}},
			{
				Port:  &networkingv1alpha3.Port{Number: 443, Protocol: "HTTPS", Name: "https-apps"},
				Hosts: []string{"*.apps.example.com"},
				Tls:   &networkingv1alpha3.ServerTLSSettings{Mode: networkingv1alpha3.ServerTLSSettings_SIMPLE, CredentialName: "apps-example-com"},
			},
		},
	}, nil, nil))
}

// MeshSidecar is a namespace-wide Sidecar limiting egress to the namespace.
func MeshSidecar() mesh.Resource {
	return must(mesh.NewResource(mesh.KindSidecar, mesh.Namespace, "cloudfoundry-default-sidecar", &networkingv1alpha3.Sidecar{
		Egress: []*networkingv1alpha3.IstioEgressListener{{Hosts: []string{mesh.Namespace + "/*"}}},
	}, nil, nil))
}

// AllowIngressPolicy allows the ingress gateway's identity to reach apps.
func AllowIngressPolicy() mesh.Resource {
	return must(mesh.NewResource(mesh.KindAuthorizationPolicy, mesh.Namespace, "allow-ingress", &securityv1beta1.AuthorizationPolicy{
		Action: securityv1beta1.AuthorizationPolicy_ALLOW,
		Rules: []*securityv1beta1.Rule{{From: []*securityv1beta1.Rule_From{{Source: &securityv1beta1.Source{
			Principals: []string{"cluster.local/ns/cloudfoundry/sa/ingressgateway"},
		}}}}},
	}, nil, nil))
}

func copilotVirtualService(host, blue, green string) mesh.Resource {
	dest := func(subset string, weight int32) *networkingv1alpha3.HTTPRouteDestination {
		return &networkingv1alpha3.HTTPRouteDestination{
			Destination: &networkingv1alpha3.Destination{Host: host, Subset: subset, Port: &networkingv1alpha3.PortSelector{Number: 8080}},
			Weight:      weight,
		}
	}
	return must(mesh.NewResource(mesh.KindVirtualService, mesh.Namespace, "copilot-service-for-"+host, &networkingv1alpha3.VirtualService{
		Hosts:    []string{host},
		Gateways: []string{mesh.Namespace + "/cloudfoundry-ingress", "mesh"},
		Http: []*networkingv1alpha3.HTTPRoute{{
			Name:  "route-" + blue[:8],
			Route: []*networkingv1alpha3.HTTPRouteDestination{dest(blue, 80), dest(green, 20)},
		}},
	}, nil, nil))
}

func copilotDestinationRule(host string, subsets ...string) mesh.Resource {
	dr := &networkingv1alpha3.DestinationRule{Host: host}
	for _, s := range subsets {
		dr.Subsets = append(dr.Subsets, &networkingv1alpha3.Subset{Name: s, Labels: map[string]string{"cfapp": s}})
	}
	return must(mesh.NewResource(mesh.KindDestinationRule, mesh.Namespace, "copilot-rule-for-"+host, dr, nil, nil))
}

// processGUID is a GUID-shaped process id for process p of host h.
func processGUID(h, p int) string {
	return fmt.Sprintf("%08x-7d1e-4c2a-9f3b-%012x", h, p)
}
