package pilot

import (
	"fmt"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
	"code.cloudfoundry.org/cf-mesh/internal/xdsserver"
)

// shopConfig routes mesh clients to shop-0.apps.internal, served by
// instances endpoints.
func shopConfig(instances int) mesh.Config {
	return hostsConfig(1, instances)
}

// hostsConfig routes mesh clients to hosts hosts, each served by
// instances endpoints.
func hostsConfig(hosts, instances int) mesh.Config {
	var resources []mesh.Resource
	for h := range hosts {
		resources = append(resources, hostResources(fmt.Sprintf("shop-%d.apps.internal", h), instances)...)
	}
	cfg, err := mesh.NewConfig(resources)
	Expect(err).NotTo(HaveOccurred())
	return cfg
}

func hostResources(host string, instances int) []mesh.Resource {
	se := &networking.ServiceEntry{Hosts: []string{host}, Resolution: networking.ServiceEntry_STATIC,
		Ports: []*networking.ServicePort{{Number: 8080, Name: "http-8080", Protocol: "HTTP"}}}
	for i := range instances {
		se.Endpoints = append(se.Endpoints, &networking.WorkloadEntry{Address: fmt.Sprintf("10.0.0.%d", i+1), Ports: map[string]uint32{"http-8080": 61000}})
	}
	vs := &networking.VirtualService{Hosts: []string{host}, Gateways: []string{"mesh"}, Http: []*networking.HTTPRoute{{
		Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: host, Port: &networking.PortSelector{Number: 8080}}}},
	}}}
	seResource, err := mesh.NewResource(mesh.KindServiceEntry, mesh.Namespace, host, se, nil, nil)
	Expect(err).NotTo(HaveOccurred())
	vsResource, err := mesh.NewResource(mesh.KindVirtualService, mesh.Namespace, host, vs, nil, nil)
	Expect(err).NotTo(HaveOccurred())
	return []mesh.Resource{seResource, vsResource}
}

var _ = Describe("translator", func() {
	var t *translator

	BeforeEach(func() {
		t = newTestTranslator()
	})

	It("sends nothing endpoints-first before a full translation has published its index", func() {
		t.sendEndpointsFirst(shopConfig(2), 1)
		Expect(counterOf(t.endpointsFirst)).To(BeZero())
	})

	It("sends a changed ServiceEntry's load assignments ahead of its full translation, once", func() {
		t.translate(shopConfig(1), 1)
		Expect(histogramCount(t.duration)).To(BeEquivalentTo(1))

		t.sendEndpointsFirst(shopConfig(2), 2)
		sent := counterOf(t.endpointsFirst)
		Expect(sent).To(BeNumerically(">=", 1), "the shop's load assignment for mesh clients")

		again := shopConfig(2)
		t.sendEndpointsFirst(again, 3)
		Expect(counterOf(t.endpointsFirst)).To(Equal(sent), "the same endpoints are served already")

		t.translate(again, 3)
		t.sendEndpointsFirst(again, 4)
		Expect(counterOf(t.endpointsFirst)).To(Equal(sent), "the index of the full translation has them")
	})

	It("leaves more changed clusters than maxEndpointsFirst to the full translation (a copilot resync)", func() {
		t.translate(hostsConfig(maxEndpointsFirst+1, 1), 1)
		t.sendEndpointsFirst(hostsConfig(maxEndpointsFirst+1, 2), 2)
		Expect(counterOf(t.endpointsFirst)).To(BeZero())
		t.sendEndpointsFirst(hostsConfig(maxEndpointsFirst-1, 2), 3)
		Expect(counterOf(t.endpointsFirst)).To(BeNumerically(">=", maxEndpointsFirst-1), "at the bound they go first")
	})
})

func newTestTranslator() *translator {
	xds := xdsserver.New(lagertest.NewTestLogger("xds"), prometheus.NewRegistry(), "boot")
	return newTranslator(xdsresources.Options{}.WithDefaults(), xds, lagertest.NewTestLogger("pilot"), prometheus.NewRegistry())
}

func histogramCount(h prometheus.Histogram) uint64 {
	m := &dto.Metric{}
	Expect(h.Write(m)).To(Succeed())
	return m.GetHistogram().GetSampleCount()
}

func counterOf(c prometheus.Counter) float64 {
	m := &dto.Metric{}
	Expect(c.Write(m)).To(Succeed())
	return m.GetCounter().GetValue()
}
