package envoyir_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

var _ = Describe("EndpointIndex.Changes, endpoints only (ADR 20)", func() {
	const host = "billing.apps.internal"
	var (
		cfg        mesh.Config
		translator *envoyir.Translator
		// another is one more instance of the app billing's endpoints
		// name, with the same labels and ports.
		another *networking.WorkloadEntry
	)
	BeforeEach(func() {
		cfg, translator, another = billingTranslated()
	})

	It("is true when a host's ServiceEntry gains an instance of an app it names already, with every load assignment of the host", func() {
		changed := withEndpoint(cfg, host, another)
		got := translator.EndpointIndex().Changes(changed)
		Expect(got.EndpointsOnly).To(BeTrue())
		Expect(got.LoadAssignments).To(Equal(loadAssignmentsOf(mustTranslate(changed), host)))
	})

	It("is true when an instance goes", func() {
		translator.Translate(withEndpoint(cfg, host, another))
		Expect(translator.EndpointIndex().Changes(cfg).EndpointsOnly).To(BeTrue())
	})

	It("is false when two changed ServiceEntries claim a host: which one the translation takes depends on their order", func() {
		first := proto.Clone(serviceEntryOf(cfg, host)).(*networking.ServiceEntry)
		contested := config(append(all(cfg), resource(mesh.KindServiceEntry, "a-first-"+host, first))...)
		translator.Translate(contested)
		changes := translator.EndpointIndex().Changes(withEndpoint(contested, host, another))
		Expect(changes.EndpointsOnly).To(BeFalse(), "withEndpoint changes both ServiceEntries of the host")
		Expect(changes.InstanceHostsOnly).To(BeFalse())
	})

	DescribeTable("is false when more than instances changed",
		func(change func(mesh.Config, *networking.WorkloadEntry) mesh.Config) {
			Expect(translator.EndpointIndex().Changes(change(cfg, another)).EndpointsOnly).To(BeFalse())
		},
		Entry("an instance of another app", func(cfg mesh.Config, we *networking.WorkloadEntry) mesh.Config {
			we.Labels = map[string]string{mesh.AppGUIDLabel: "app-new", "cfapp": "proc-billing"}
			return withEndpoint(cfg, host, we)
		}),
		Entry("an instance with other labels", func(cfg mesh.Config, we *networking.WorkloadEntry) mesh.Config {
			we.Labels = map[string]string{mesh.AppGUIDLabel: we.Labels[mesh.AppGUIDLabel], "cfapp": "proc-other"}
			return withEndpoint(cfg, host, we)
		}),
		Entry("a ServiceEntry's port", func(cfg mesh.Config, we *networking.WorkloadEntry) mesh.Config {
			return replacing(withEndpoint(cfg, host, we), mesh.KindServiceEntry, host, func(spec proto.Message) {
				spec.(*networking.ServiceEntry).Ports[0].Name = "http-other"
			})
		}),
		Entry("a ServiceEntry's resolution", func(cfg mesh.Config, we *networking.WorkloadEntry) mesh.Config {
			return replacing(withEndpoint(cfg, host, we), mesh.KindServiceEntry, host, func(spec proto.Message) {
				spec.(*networking.ServiceEntry).Resolution = networking.ServiceEntry_DNS
			})
		}),
		Entry("a VirtualService as well", func(cfg mesh.Config, we *networking.WorkloadEntry) mesh.Config {
			return replacing(withEndpoint(cfg, host, we), mesh.KindVirtualService, host, func(proto.Message) {})
		}),
		Entry("a DestinationRule as well", func(cfg mesh.Config, we *networking.WorkloadEntry) mesh.Config {
			return replacing(withEndpoint(cfg, host, we), mesh.KindDestinationRule, host, func(proto.Message) {})
		}),
		Entry("a new ServiceEntry", func(cfg mesh.Config, we *networking.WorkloadEntry) mesh.Config {
			se := proto.Clone(serviceEntryOf(cfg, host)).(*networking.ServiceEntry)
			se.Hosts = []string{"3." + host}
			return config(append(all(cfg), resource(mesh.KindServiceEntry, "3."+host, se))...)
		}),
		Entry("a ServiceEntry gone", func(cfg mesh.Config, _ *networking.WorkloadEntry) mesh.Config {
			var out []mesh.Resource
			for _, r := range all(cfg) {
				if se, ok := r.Spec.(*networking.ServiceEntry); !ok || se.GetHosts()[0] != host {
					out = append(out, r)
				}
			}
			return config(out...)
		}),
	)
})

// billingTranslated is mesh-policies.yaml, a Translator that translated
// it, and one more instance of the endpoints the app billing's
// ServiceEntry names: the same labels and ports, another address and
// identity.
func billingTranslated() (mesh.Config, *envoyir.Translator, *networking.WorkloadEntry) {
	cfg := loadConfig("testdata/in/mesh-policies.yaml")
	translator := envoyir.NewTranslator()
	translator.Translate(cfg)
	another := proto.Clone(serviceEntryOf(cfg, "billing.apps.internal").GetEndpoints()[0]).(*networking.WorkloadEntry)
	another.Address, another.ServiceAccount = "10.255.3.99", "instance-another"
	return cfg, translator, another
}

// serviceEntryOf is cfg's ServiceEntry of host.
func serviceEntryOf(cfg mesh.Config, host string) *networking.ServiceEntry {
	for _, r := range cfg.Of(mesh.KindServiceEntry) {
		if se := r.Spec.(*networking.ServiceEntry); se.GetHosts()[0] == host {
			return se
		}
	}
	Fail("no ServiceEntry of " + host)
	return nil
}

// replacing is cfg with its object of kind for host replaced by a changed
// copy (a new object, as the copilot sends it).
func replacing(cfg mesh.Config, kind mesh.Kind, host string, change func(proto.Message)) mesh.Config {
	GinkgoHelper()
	return replacingWhere(cfg, kind, func(r mesh.Resource) bool { return hostOf(r.Spec) == host }, change)
}

// replacingNamed is cfg with its object of kind and name replaced by a
// changed copy.
func replacingNamed(cfg mesh.Config, kind mesh.Kind, name string, change func(proto.Message)) mesh.Config {
	GinkgoHelper()
	return replacingWhere(cfg, kind, func(r mesh.Resource) bool { return r.Name == name }, change)
}

// replacingWhere is cfg with its objects of kind that match replaced by
// changed copies; at least one must match.
func replacingWhere(cfg mesh.Config, kind mesh.Kind, match func(mesh.Resource) bool, change func(proto.Message)) mesh.Config {
	GinkgoHelper()
	var out []mesh.Resource
	found := false
	for _, r := range all(cfg) {
		if r.Kind == kind && match(r) {
			spec := proto.Clone(r.Spec)
			change(spec)
			r, found = resource(kind, r.Name, spec), true
		}
		out = append(out, r)
	}
	Expect(found).To(BeTrue(), "no %s matched", kind)
	return config(out...)
}

func hostOf(spec proto.Message) string {
	switch s := spec.(type) {
	case *networking.ServiceEntry:
		return s.GetHosts()[0]
	case *networking.VirtualService:
		return s.GetHosts()[0]
	case *networking.DestinationRule:
		return s.GetHost()
	}
	return ""
}
