package envoyir_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

var _ = Describe("EndpointIndex.Changes, per-instance hosts only (ADR 20, third amendment)", func() {
	const host, instance = "billing.apps.internal", "3.billing.apps.internal"
	var (
		cfg        mesh.Config
		translator *envoyir.Translator
		another    *networking.WorkloadEntry
	)
	// started is cfg with instance 3 of billing: the parent's ServiceEntry
	// gains its endpoint, and its per-instance host gets objects of its own,
	// as the copilot compiles them.
	started := func(cfg mesh.Config) mesh.Config {
		se := proto.Clone(serviceEntryOf(cfg, host)).(*networking.ServiceEntry)
		se.Hosts, se.Endpoints = []string{instance}, []*networking.WorkloadEntry{another}
		vs := &networking.VirtualService{Hosts: []string{instance}, Http: []*networking.HTTPRoute{{
			Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: instance}}},
		}}}
		dr := &networking.DestinationRule{Host: instance}
		return config(append(all(withEndpoint(cfg, host, another)),
			resource(mesh.KindServiceEntry, "copilot-service-entry-for-"+instance, se),
			resource(mesh.KindVirtualService, "copilot-service-for-"+instance, vs),
			resource(mesh.KindDestinationRule, "copilot-rule-for-"+instance, dr))...)
	}
	BeforeEach(func() {
		cfg, translator, another = billingTranslated()
	})

	It("is true when an instance of an internal app starts, and when it stops", func() {
		changes := translator.EndpointIndex().Changes(started(cfg))
		Expect(changes.InstanceHostsOnly).To(BeTrue())
		Expect(changes.EndpointsOnly).To(BeFalse(), "the full translation builds the new host's own resources")

		translator.Translate(started(cfg))
		Expect(translator.EndpointIndex().Changes(cfg).InstanceHostsOnly).To(BeTrue())
	})

	It("names a stopped instance's host gone, unless another ServiceEntry claims it", func() {
		translator.Translate(started(cfg))
		Expect(translator.EndpointIndex().Changes(cfg).GoneHosts).To(Equal([]string{instance}))
		Expect(translator.EndpointIndex().Changes(started(cfg)).GoneHosts).To(BeEmpty())

		se := proto.Clone(serviceEntryOf(started(cfg), instance)).(*networking.ServiceEntry)
		stillClaimed := config(append(all(cfg), resource(mesh.KindServiceEntry, "another-"+instance, se))...)
		Expect(translator.EndpointIndex().Changes(stillClaimed).GoneHosts).To(BeEmpty())
	})

	It("is true whenever endpoints only changed", func() {
		Expect(translator.EndpointIndex().Changes(withEndpoint(cfg, host, another)).InstanceHostsOnly).To(BeTrue())
	})

	DescribeTable("is false when more than instances changed",
		func(change func(mesh.Config) mesh.Config) {
			Expect(translator.EndpointIndex().Changes(change(started(cfg))).InstanceHostsOnly).To(BeFalse())
		},
		Entry("the per-instance host's VirtualService bound to a gateway", func(cfg mesh.Config) mesh.Config {
			return replacingNamed(cfg, mesh.KindVirtualService, "copilot-service-for-"+instance, func(spec proto.Message) {
				spec.(*networking.VirtualService).Gateways = []string{"cloudfoundry-ingress"}
			})
		}),
		Entry("a ServiceEntry of a host that names no instance", func(cfg mesh.Config) mesh.Config {
			return replacingNamed(cfg, mesh.KindServiceEntry, "copilot-service-entry-for-"+instance, func(spec proto.Message) {
				spec.(*networking.ServiceEntry).Hosts = []string{"worker.apps.internal"}
			})
		}),
		Entry("a DestinationRule of a host that names no instance", func(cfg mesh.Config) mesh.Config {
			return replacingNamed(cfg, mesh.KindDestinationRule, "copilot-rule-for-"+instance, func(spec proto.Message) {
				spec.(*networking.DestinationRule).Host = "worker.apps.internal"
			})
		}),
		Entry("the parent's ServiceEntry beyond its endpoints", func(cfg mesh.Config) mesh.Config {
			return replacing(cfg, mesh.KindServiceEntry, host, func(spec proto.Message) {
				spec.(*networking.ServiceEntry).Ports[0].Name = "http-other"
			})
		}),
		Entry("the parent's VirtualService", func(cfg mesh.Config) mesh.Config {
			return replacing(cfg, mesh.KindVirtualService, host, func(proto.Message) {})
		}),
		Entry("the parent's VirtualService gone", func(cfg mesh.Config) mesh.Config {
			var out []mesh.Resource
			for _, r := range all(cfg) {
				if vs, ok := r.Spec.(*networking.VirtualService); !ok || vs.GetHosts()[0] != host {
					out = append(out, r)
				}
			}
			return config(out...)
		}),
		Entry("an AuthorizationPolicy", func(cfg mesh.Config) mesh.Config {
			return config(append(all(cfg), resource(mesh.KindAuthorizationPolicy, "another-policy", &security.AuthorizationPolicy{}))...)
		}),
	)

	It("is false when a per-instance host's objects are replaced, not added or removed", func() {
		translator.Translate(started(cfg))
		changed := replacingNamed(started(cfg), mesh.KindVirtualService, "copilot-service-for-"+instance, func(spec proto.Message) {
			spec.(*networking.VirtualService).Http[0].Name = "renamed"
		})
		Expect(translator.EndpointIndex().Changes(changed).InstanceHostsOnly).To(BeFalse())
	})
})
