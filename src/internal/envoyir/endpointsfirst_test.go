package envoyir_test

import (
	"fmt"
	"math/rand/v2"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

var _ = Describe("EndpointIndex.Changes", func() {
	const host = "billing.apps.internal"
	added := &networking.WorkloadEntry{
		Address: "10.255.0.9", Network: mesh.ContainerNetwork, ServiceAccount: "instance-added", Ports: map[string]uint32{"http": 61099},
		Labels: map[string]string{mesh.AppGUIDLabel: "app-added", "cfapp": "proc-billing"},
	}
	var (
		cfg        mesh.Config
		translator *envoyir.Translator
	)
	BeforeEach(func() {
		cfg = loadConfig("testdata/in/mesh-policies.yaml")
		translator = envoyir.NewTranslator()
	})

	It("is empty before the first translation", func() {
		Expect(translator.EndpointIndex().Changes(cfg)).To(BeZero())
	})

	It("gives the load assignments of a changed ServiceEntry's clusters, as the full translation does", func() {
		translator.Translate(cfg)
		changed := withEndpoint(cfg, host, added)

		got := translator.EndpointIndex().Changes(changed).LoadAssignments

		want := loadAssignmentsOf(mustTranslate(changed), host)
		Expect(want).NotTo(BeEmpty())
		Expect(got).To(Equal(want))
		Expect(fmt.Sprint(got)).To(ContainSubstring("10.255.0.9"))
		Expect(loadAssignmentsOf(mustTranslate(cfg), host)).NotTo(Equal(want), "the endpoint is new")
	})

	It("gives the endpoints of a host that a new ServiceEntry claims, on each of its ports, and no load assignment for it", func() {
		translator.Translate(cfg)
		var billing *networking.ServiceEntry
		for _, r := range cfg.Of(mesh.KindServiceEntry) {
			if se := r.Spec.(*networking.ServiceEntry); se.GetHosts()[0] == host {
				billing = se
			}
		}
		Expect(billing).NotTo(BeNil())
		instance := proto.Clone(billing).(*networking.ServiceEntry)
		instance.Hosts = []string{"3." + host}
		instance.Endpoints = []*networking.WorkloadEntry{added}
		withInstance := config(append(all(cfg), resource(mesh.KindServiceEntry, "3."+host, instance))...)

		got := translator.EndpointIndex().Changes(withInstance)

		Expect(got.LoadAssignments).To(BeEmpty())
		Expect(got.NewHosts).To(HaveLen(len(instance.GetPorts())))
		for i, p := range instance.GetPorts() {
			Expect(got.NewHosts[i].Host).To(Equal("3." + host))
			Expect(got.NewHosts[i].Port).To(Equal(p.GetNumber()))
			Expect(got.NewHosts[i].Endpoints).To(ConsistOf(HaveField("Address", "10.255.0.9")))
		}
	})

	It("gives nothing when no ServiceEntry changed", func() {
		translator.Translate(cfg)
		Expect(translator.EndpointIndex().Changes(sharing(cfg, cfg))).To(BeZero())
	})

	It("stays the index of its translation while the Translator translates the next config", func() {
		translator.Translate(cfg)
		index := translator.EndpointIndex()
		changed := withEndpoint(cfg, host, added)
		translator.Translate(changed)

		Expect(index.Changes(changed).LoadAssignments).To(Equal(loadAssignmentsOf(mustTranslate(changed), host)))
		Expect(translator.EndpointIndex().Changes(changed)).To(BeZero())
	})

	It("leaves out clusters whose DestinationRule changed too, since their subsets may have", func() {
		translator.Translate(cfg)
		changed := withEndpoint(cfg, host, added)
		var out []mesh.Resource
		for _, r := range all(changed) {
			if dr, ok := r.Spec.(*networking.DestinationRule); ok && dr.GetHost() == host {
				r = resource(mesh.KindDestinationRule, r.Name, proto.Clone(dr))
			}
			out = append(out, r)
		}
		Expect(translator.EndpointIndex().Changes(config(out...))).To(BeZero())
	})

	It("leaves out a host that a second, new ServiceEntry claims as well: which one the translation takes depends on their order", func() {
		translator.Translate(cfg)
		changed := withEndpoint(cfg, host, added)
		var first *networking.ServiceEntry
		for _, r := range changed.Of(mesh.KindServiceEntry) {
			if se := r.Spec.(*networking.ServiceEntry); se.GetHosts()[0] == host {
				first = proto.Clone(se).(*networking.ServiceEntry)
			}
		}
		first.Endpoints = first.Endpoints[:1]
		contested := config(append(all(changed), resource(mesh.KindServiceEntry, "a-first-"+host, first))...)
		ir, errs := envoyir.Translate(contested)
		Expect(errs).To(ConsistOf(MatchError(ContainSubstring("already has a ServiceEntry"))))
		Expect(loadAssignmentsOf(ir, host)).NotTo(Equal(loadAssignmentsOf(mustTranslate(changed), host)),
			"the translation takes the new one, which sorts first")

		Expect(translator.EndpointIndex().Changes(contested)).To(BeZero())
	})

	It("leaves out clusters whose host lost its ServiceEntry", func() {
		translator.Translate(cfg)
		var out []mesh.Resource
		for _, r := range all(cfg) {
			if se, ok := r.Spec.(*networking.ServiceEntry); !ok || se.GetHosts()[0] != host {
				out = append(out, r)
			}
		}
		Expect(translator.EndpointIndex().Changes(config(out...))).To(BeZero())
	})
})

var _ = Describe("EndpointIndex.Changes, with objects changing at random", func() {
	It("gives what the full translation then gives, and every changed load assignment when only ServiceEntries changed, of hosts one ServiceEntry claims", func() {
		for seed := range uint64(20) {
			m := &randomMesh{rng: rand.New(rand.NewPCG(seed, 11)), objects: map[string]mesh.Resource{}}
			translator := envoyir.NewTranslator()
			var before envoyir.IR
			var previous mesh.Config
			for round := range 60 {
				onlyEndpoints := m.rng.IntN(2) == 0
				names := map[string]string{} // one ServiceEntry per host and round
				for range 1 + m.rng.IntN(3) {
					if onlyEndpoints && m.rng.IntN(2) == 0 {
						m.moveInstances()
						continue
					}
					if onlyEndpoints {
						h := fmt.Sprintf("h%d.apps.internal", m.rng.IntN(randomHosts))
						if _, ok := names[h]; !ok {
							names[h] = []string{h, "dup-" + h}[m.rng.IntN(2)]
						}
						m.put(mesh.KindServiceEntry, names[h], m.serviceEntry(h))
						continue
					}
					m.change()
				}
				cfg := m.config()
				changes := translator.EndpointIndex().Changes(cfg)
				first := changes.LoadAssignments
				after, _ := translator.Translate(cfg)
				context := fmt.Sprintf("seed %d round %d", seed, round)
				now, then := byCluster(after), byCluster(before)
				for _, la := range first {
					if want, ok := now[la.Cluster]; ok {
						Expect(la).To(Equal(want), context)
					}
				}
				contested := hostsClaimedTwice(previous, cfg)
				for _, h := range changes.NewHosts {
					for name := range then {
						Expect(name).NotTo(HaveSuffix("|"+h.Host), "%s: %s had a cluster", context, h.Host)
					}
					if la, ok := now[envoyir.ClusterName(h.Port, "", h.Host)]; ok && !contested[h.Host] {
						Expect(h.Endpoints).To(Equal(la.Endpoints), context)
					}
				}
				if changes.EndpointsOnly {
					expectOnlyEndpointsChanged(before, after, first, context)
				}
				if onlyEndpoints {
					gave := byCluster(envoyir.IR{LoadAssignments: first})
					for name, la := range now {
						host := name[strings.LastIndex(name, "|")+1:]
						if old, ok := then[name]; ok && !contested[host] && fmt.Sprint(old) != fmt.Sprint(la) {
							Expect(gave).To(HaveKeyWithValue(name, la), context)
						}
					}
				}
				before, previous = after, cfg
			}
		}
	})
})

// expectOnlyEndpointsChanged expects after to be before but for its load
// assignments, every changed one of which first gives, and its workloads'
// instances and container IPs.
func expectOnlyEndpointsChanged(before, after envoyir.IR, first []envoyir.LoadAssignment, context string) {
	gave := byCluster(envoyir.IR{LoadAssignments: first})
	then := byCluster(before)
	for name, la := range byCluster(after) {
		if fmt.Sprint(then[name]) != fmt.Sprint(la) {
			Expect(gave).To(HaveKeyWithValue(name, la), "%s: endpoints only", context)
		}
	}
	Expect(byCluster(before)).To(HaveLen(len(byCluster(after))), "%s: endpoints only", context)
	blank := func(ir envoyir.IR) string {
		ir.LoadAssignments, ir.Workloads.ByInstance, ir.Workloads.ByContainerIP = nil, nil, nil
		return renderIR(ir)
	}
	Expect(blank(after)).To(Equal(blank(before)), "%s: endpoints only", context)
}

// hostsClaimedTwice are the hosts that two ServiceEntries claim in
// either config.
func hostsClaimedTwice(configs ...mesh.Config) map[string]bool {
	out := map[string]bool{}
	for _, cfg := range configs {
		claims := map[string]int{}
		for _, r := range cfg.Of(mesh.KindServiceEntry) {
			for _, host := range r.Spec.(*networking.ServiceEntry).GetHosts() {
				if claims[host]++; claims[host] > 1 {
					out[host] = true
				}
			}
		}
	}
	return out
}

func byCluster(ir envoyir.IR) map[string]envoyir.LoadAssignment {
	out := map[string]envoyir.LoadAssignment{}
	for _, la := range ir.LoadAssignments {
		out[la.Cluster] = la
	}
	return out
}

func loadAssignmentsOf(ir envoyir.IR, host string) []envoyir.LoadAssignment {
	var out []envoyir.LoadAssignment
	for _, la := range ir.LoadAssignments {
		if strings.HasSuffix(la.Cluster, "|"+host) {
			out = append(out, la)
		}
	}
	return out
}
