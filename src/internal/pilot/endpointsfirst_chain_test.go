package pilot_test

import (
	"maps"
	"os"
	"slices"
	"strings"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"
	"sigs.k8s.io/yaml"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/pilot"
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

	It("judges an instance starting or stopping deferrable, and the full translation then changes only the instance's own resources for proxyless clients (ADR 20, third amendment)", func() {
		data, err := os.ReadFile("../xdsresources/testdata/in/per-instance-hosts.options.yaml")
		Expect(err).NotTo(HaveOccurred())
		var options xdsresources.Options
		Expect(yaml.UnmarshalStrict(data, &options)).To(Succeed())
		options = options.WithDefaults()
		caller, err := xdsresources.ParseNodeID("sidecar~10.255.4.1~44444444-4444-4444-8444-000000000004~x")
		Expect(err).NotTo(HaveOccurred())
		for _, change := range []struct {
			name     string
			from, to mesh.Config
		}{{"start", withoutInstance, withInstance}, {"stop", withInstance, withoutInstance}} {
			irs, resources := envoyir.NewTranslator(), xdsresources.NewTranslator(options)
			ir, _ := irs.Translate(change.from)
			before, errs := resources.Translate(ir)
			Expect(errs).To(BeEmpty())
			changes := irs.EndpointIndex().Changes(change.to)
			Expect(changes.InstanceHostsOnly).To(BeTrue(), change.name)
			Expect(resources.ServedEndpoints().FoldsHold(changes)).To(BeTrue(), change.name)
			Expect(pilot.EndpointsFirstDeferrable(change.from, change.to)).To(BeTrue(), change.name)
			first := resources.ServedEndpoints().LoadAssignments(changes)
			ir, errs = envoyir.Translate(change.to)
			Expect(errs).To(BeEmpty())
			after, errs := xdsresources.Translate(ir, options)
			Expect(errs).To(BeEmpty())

			By("leaving gateways and sidecars nothing to take but what the early path sent: " + change.name)
			expectSameMessages(before.GatewayListeners, after.GatewayListeners, change.name)
			expectSameMessages(before.GatewayClusters, after.GatewayClusters, change.name)
			expectSameMessages(before.SidecarClusters, after.SidecarClusters, change.name)
			expectSameMessages(overlaid(before.GatewayEndpoints, first.GatewayEndpoints), after.GatewayEndpoints, change.name)
			expectSameMessages(overlaid(before.SidecarEndpoints, first.SidecarEndpoints), after.SidecarEndpoints, change.name)
			own, err := before.Sidecar(caller)
			Expect(err).NotTo(HaveOccurred())
			ownAfter, err := after.Sidecar(caller)
			Expect(err).NotTo(HaveOccurred())
			expectSameMessages(own.Listeners, ownAfter.Listeners, change.name)
			expectSameMessages(own.Routes, ownAfter.Routes, change.name)
			expectSameMessages(withoutHost(before.Routes, instanceHost), withoutHost(after.Routes, instanceHost), change.name)

			By("changing the proxyless clients' resources of the instance's own host: " + change.name)
			Expect(maps.Equal(namesOf(before.MeshClusters), namesOf(after.MeshClusters))).To(BeFalse())
		}

		By("not deferring an instance that moved without its parent: the sidecars' fold of it changes")
		var out []mesh.Resource
		for _, info := range mesh.Kinds() {
			for _, r := range withInstance.Of(info.Kind) {
				if r.Name == "copilot-service-entry-for-"+instanceHost {
					se := proto.Clone(r.Spec).(*networking.ServiceEntry)
					se.Endpoints[0].Address = "10.255.1.99"
					r, err = mesh.NewResource(r.Kind, r.Namespace, r.Name, se, nil, nil)
					Expect(err).NotTo(HaveOccurred())
				}
				out = append(out, r)
			}
		}
		moved, err := mesh.NewConfig(out)
		Expect(err).NotTo(HaveOccurred())
		Expect(pilot.EndpointsFirstDeferrable(withInstance, moved)).To(BeFalse())
	})
})

// expectSameMessages expects want and got to hold the same messages by
// name.
func expectSameMessages[M proto.Message](want, got map[string]M, what string) {
	GinkgoHelper()
	Expect(slices.Sorted(maps.Keys(got))).To(Equal(slices.Sorted(maps.Keys(want))), what)
	for name, m := range want {
		Expect(proto.Equal(got[name], m)).To(BeTrue(), "%s: %s", what, name)
	}
}

// overlaid is served with the load assignments first sent over it.
func overlaid(served, first map[string]*endpointv3.ClusterLoadAssignment) map[string]*endpointv3.ClusterLoadAssignment {
	out := maps.Clone(served)
	maps.Copy(out, first)
	return out
}

// withoutHost is routes without those named for host.
func withoutHost(routes map[string]*routev3.RouteConfiguration, host string) map[string]*routev3.RouteConfiguration {
	out := maps.Clone(routes)
	maps.DeleteFunc(out, func(name string, _ *routev3.RouteConfiguration) bool { return strings.Contains(name, host) })
	return out
}

func namesOf[M any](m map[string]M) map[string]bool {
	out := map[string]bool{}
	for name := range m {
		out[name] = true
	}
	return out
}

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
