package pilot_test

import (
	"os"
	"strings"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// The endpoints-first chain as the pilot runs it (envoyir's index, then
// xdsresources' served endpoints), on what the copilot publishes when an
// internal app's instance starts or stops: the parent host's ServiceEntry
// and the instance's own host (ADR 19, ADR 20).
var _ = Describe("endpoints first, from ServiceEntry to served load assignments", func() {
	const (
		backend      = "backend.apps.internal"
		instanceHost = "2.backend.apps.internal"
		instanceIP   = "10.255.1.3"
	)
	var withInstance, withoutInstance mesh.Config

	BeforeEach(func() {
		data, err := os.ReadFile("../envoyir/testdata/in/per-instance-hosts.yaml")
		Expect(err).NotTo(HaveOccurred())
		withInstance, err = mesh.ParseYAML(data)
		Expect(err).NotTo(HaveOccurred())
		withoutInstance = withoutInstanceOf(withInstance, backend, instanceHost, instanceIP)
	})

	// firstAndFull translates from, then gives what the endpoints-first
	// chain serves of to, and what to's full translation serves.
	firstAndFull := func(from, to mesh.Config) (first, full xdsresources.Resources) {
		options := xdsresources.Options{}.WithDefaults()
		irs, resources := envoyir.NewTranslator(), xdsresources.NewTranslator(options)
		ir, _ := irs.Translate(from)
		resources.Translate(ir)
		first = resources.ServedEndpoints().LoadAssignments(irs.EndpointIndex().Changes(to))
		ir, errs := envoyir.Translate(to)
		Expect(errs).To(BeEmpty())
		full, errs = xdsresources.Translate(ir, options)
		Expect(errs).To(BeEmpty())
		return first, full
	}

	It("serves a started instance to sidecars with its index label, as the full translation does, so that sends it no more", func() {
		first, full := firstAndFull(withoutInstance, withInstance)

		parent := envoyir.ClusterName(8080, "proc-backend", backend)
		Expect(first.SidecarEndpoints).To(HaveKey(parent))
		Expect(labelOf(first.SidecarEndpoints[parent], instanceIP)).To(Equal("2"))
		expectSameContent(first, full)
	})

	It("serves a stopped instance's absence to sidecars as the full translation does", func() {
		first, full := firstAndFull(withInstance, withoutInstance)

		parent := envoyir.ClusterName(8080, "proc-backend", backend)
		Expect(first.SidecarEndpoints).To(HaveKey(parent))
		Expect(first.SidecarEndpoints[parent].GetEndpoints()[0].GetLbEndpoints()).To(HaveLen(2))
		expectSameContent(first, full)
	})
})

// withoutInstanceOf is cfg without the objects of instanceHost and without
// address in parent's ServiceEntry; every other object stays the very
// same, as in the pilot's store.
func withoutInstanceOf(cfg mesh.Config, parent, instanceHost, address string) mesh.Config {
	var out []mesh.Resource
	for _, info := range mesh.Kinds() {
		kind := info.Kind
		for _, r := range cfg.Of(kind) {
			switch {
			case strings.HasSuffix(r.Name, "-for-"+instanceHost):
			case r.Name == "copilot-service-entry-for-"+parent:
				se := proto.Clone(r.Spec).(*networking.ServiceEntry)
				se.Endpoints = nil
				for _, e := range r.Spec.(*networking.ServiceEntry).GetEndpoints() {
					if e.GetAddress() != address {
						se.Endpoints = append(se.Endpoints, e)
					}
				}
				Expect(se.Endpoints).To(HaveLen(len(r.Spec.(*networking.ServiceEntry).GetEndpoints()) - 1))
				changed, err := mesh.NewResource(kind, r.Namespace, r.Name, se, nil, nil)
				Expect(err).NotTo(HaveOccurred())
				out = append(out, changed)
			default:
				out = append(out, r)
			}
		}
	}
	without, err := mesh.NewConfig(out)
	Expect(err).NotTo(HaveOccurred())
	Expect(without.Len()).To(Equal(cfg.Len()-3), "the instance's ServiceEntry, VirtualService and DestinationRule")
	return without
}

// expectSameContent expects every load assignment first serves to be
// served by full with the same content.
func expectSameContent(first, full xdsresources.Resources) {
	for class, maps := range map[string][2]map[string]*endpointv3.ClusterLoadAssignment{
		"gateway": {first.GatewayEndpoints, full.GatewayEndpoints},
		"mesh":    {first.MeshEndpoints, full.MeshEndpoints},
		"sidecar": {first.SidecarEndpoints, full.SidecarEndpoints},
	} {
		for name, la := range maps[0] {
			Expect(maps[1]).To(HaveKey(name), "%s %s", class, name)
			Expect(proto.Equal(maps[1][name], la)).To(BeTrue(), "%s %s", class, name)
		}
	}
}

// labelOf is the instance index label of address in la ("" when it has
// none).
func labelOf(la *endpointv3.ClusterLoadAssignment, address string) string {
	for _, lb := range la.GetEndpoints()[0].GetLbEndpoints() {
		if lb.GetEndpoint().GetAddress().GetSocketAddress().GetAddress() == address {
			return lb.GetMetadata().GetFilterMetadata()["envoy.lb"].GetFields()[xdsresources.InstanceIndexKey].GetStringValue()
		}
	}
	Fail(address + " is not served")
	return ""
}
