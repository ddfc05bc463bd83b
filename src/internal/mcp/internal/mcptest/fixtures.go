// Package mcptest builds mesh configurations for the tests of the mcp
// packages. It is test support only: its helpers panic on bad input.
package mcptest

import (
	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	securityv1beta1 "istio.io/api/security/v1beta1"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// Gateway is the ingress gateway object with one HTTP server on port.
func Gateway(port uint32) mesh.Resource {
	return must(mesh.NewResource(mesh.KindGateway, mesh.Namespace, "cloudfoundry-ingress", &networkingv1alpha3.Gateway{
		Selector: map[string]string{"istio": "ingressgateway"},
		Servers: []*networkingv1alpha3.Server{{
			Port:  &networkingv1alpha3.Port{Number: port, Protocol: "HTTP", Name: "http"},
			Hosts: []string{"*"},
		}},
	}, map[string]string{"cf-mesh": "true"}, nil))
}

// VirtualService routes host to two weighted subsets of the host.
func VirtualService(host string, weight int32) mesh.Resource {
	dest := func(subset string, w int32) *networkingv1alpha3.HTTPRouteDestination {
		return &networkingv1alpha3.HTTPRouteDestination{
			Destination: &networkingv1alpha3.Destination{Host: host, Subset: subset, Port: &networkingv1alpha3.PortSelector{Number: 8080}},
			Weight:      w,
		}
	}
	return must(mesh.NewResource(mesh.KindVirtualService, mesh.Namespace, "vs-"+host, &networkingv1alpha3.VirtualService{
		Hosts:    []string{host},
		Gateways: []string{"cloudfoundry-ingress"},
		Http: []*networkingv1alpha3.HTTPRoute{{
			Route: []*networkingv1alpha3.HTTPRouteDestination{dest("blue", weight), dest("green", 100-weight)},
		}},
	}, nil, map[string]string{"cloudfoundry.org/route-guid": "guid-" + host}))
}

// DestinationRule declares the blue and green subsets of host.
func DestinationRule(host string) mesh.Resource {
	return must(mesh.NewResource(mesh.KindDestinationRule, mesh.Namespace, "dr-"+host, &networkingv1alpha3.DestinationRule{
		Host: host,
		Subsets: []*networkingv1alpha3.Subset{
			{Name: "blue", Labels: map[string]string{"cfapp": "blue"}},
			{Name: "green", Labels: map[string]string{"cfapp": "green"}},
		},
	}, nil, nil))
}

// ServiceEntry declares host with one static endpoint per address.
func ServiceEntry(host string, addresses ...string) mesh.Resource {
	var endpoints []*networkingv1alpha3.WorkloadEntry
	for _, a := range addresses {
		endpoints = append(endpoints, &networkingv1alpha3.WorkloadEntry{
			Address: a,
			Ports:   map[string]uint32{"http": 61001},
			Labels:  map[string]string{"cfapp": "blue"},
		})
	}
	return must(mesh.NewResource(mesh.KindServiceEntry, mesh.Namespace, "se-"+host, &networkingv1alpha3.ServiceEntry{
		Hosts:      []string{host},
		Ports:      []*networkingv1alpha3.ServicePort{{Number: 8080, Protocol: "HTTP", Name: "http"}},
		Location:   networkingv1alpha3.ServiceEntry_MESH_INTERNAL,
		Resolution: networkingv1alpha3.ServiceEntry_STATIC,
		Endpoints:  endpoints,
	}, nil, nil))
}

// PeerAuthentication is a mesh-wide STRICT mTLS policy.
func PeerAuthentication() mesh.Resource {
	return must(mesh.NewResource(mesh.KindPeerAuthentication, mesh.Namespace, "default", &securityv1beta1.PeerAuthentication{
		Mtls: &securityv1beta1.PeerAuthentication_MutualTLS{Mode: securityv1beta1.PeerAuthentication_MutualTLS_STRICT},
	}, nil, nil))
}

// Config builds a Config of resources.
func Config(resources ...mesh.Resource) mesh.Config {
	return must(mesh.NewConfig(resources))
}

// World is a small complete mesh: a gateway and, per host, a virtual
// service (blue weighted weight), a destination rule and a service entry.
func World(weight int32, hosts ...string) mesh.Config {
	resources := []mesh.Resource{Gateway(8080)}
	for _, h := range hosts {
		resources = append(resources, VirtualService(h, weight), DestinationRule(h), ServiceEntry(h, "10.0.0.1", "10.0.0.2"))
	}
	return Config(resources...)
}

// PilotKinds are the kinds the pilot subscribes to.
var PilotKinds = []mesh.Kind{mesh.KindGateway, mesh.KindVirtualService, mesh.KindDestinationRule, mesh.KindServiceEntry}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
