package envoyir_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/golden"
)

var _ = Describe("Translator", func() {
	inputs, err := golden.Inputs("testdata/in/*.yaml")
	if err != nil {
		panic(err)
	}

	It("translates every config as Translate does, whatever it translated before and whichever objects it shares", func() {
		for _, input := range inputs {
			want, wantErrs := envoyir.Translate(loadConfig(input))
			for _, before := range inputs {
				previous := loadConfig(before)
				translator := envoyir.NewTranslator()
				translator.Translate(previous)
				// Objects equal to one translated before are that very
				// object, as the pilot's store keeps them.
				got, gotErrs := translator.Translate(sharing(loadConfig(input), previous))
				Expect(renderIR(got)).To(Equal(renderIR(want)), "%s after %s", filepath.Base(input), filepath.Base(before))
				Expect(fmt.Sprint(gotErrs)).To(Equal(fmt.Sprint(wantErrs)), "%s after %s", filepath.Base(input), filepath.Base(before))
			}
		}
	})

	It("reuses the endpoints and virtual hosts of unchanged objects and rebuilds those of a changed ServiceEntry", func() {
		cfg := loadConfig("testdata/in/mesh-policies.yaml")
		host := "billing.apps.internal"
		translator := envoyir.NewTranslator()
		before, errs := translator.Translate(cfg)
		Expect(errs).To(BeEmpty())

		changed := withEndpoint(cfg, host, &networking.WorkloadEntry{
			Address: "10.255.0.9", Network: mesh.ContainerNetwork, ServiceAccount: "instance-added", Ports: map[string]uint32{"http": 61099},
			Labels: map[string]string{mesh.AppGUIDLabel: "app-added"},
		})
		after, errs := translator.Translate(changed)
		Expect(errs).To(BeEmpty())
		Expect(renderIR(after)).To(Equal(renderIR(mustTranslate(changed))))

		app, known := after.Workloads.AppOf("instance-added", "10.255.0.9")
		Expect(known).To(BeTrue())
		Expect(app).To(Equal("app-added"))
		Expect(after.LoadAssignments).To(HaveLen(len(before.LoadAssignments)))
		reused := 0
		for i, la := range after.LoadAssignments {
			if len(la.Endpoints) == 0 {
				continue
			}
			same := &la.Endpoints[0] == &before.LoadAssignments[i].Endpoints[0]
			if after.Clusters[i].Host == host {
				Expect(same).To(BeFalse(), "%s: its ServiceEntry changed", la.Cluster)
				continue
			}
			Expect(same).To(BeTrue(), "%s is reused", la.Cluster)
			reused++
		}
		Expect(reused).To(BeNumerically(">", 0))
		for i, h := range after.MeshHosts {
			if h.Name == host {
				continue
			}
			Expect(&h.Routes[0]).To(BeIdenticalTo(&before.MeshHosts[i].Routes[0]), "%s: its VirtualService and ServiceEntries did not change", h.Name)
		}
	})

	It("rebuilds a virtual host when a ServiceEntry it read changed, though its VirtualService did not", func() {
		service := func(port uint32) mesh.Resource {
			return resource(mesh.KindServiceEntry, "service", &networking.ServiceEntry{
				Hosts: []string{"backend.apps.internal"},
				Ports: []*networking.ServicePort{{Number: port, Name: "http", Protocol: "HTTP"}},
				Endpoints: []*networking.WorkloadEntry{{Address: "10.0.0.1", Ports: map[string]uint32{"http": 61000},
					Labels: map[string]string{mesh.AppGUIDLabel: "app"}}},
			})
		}
		// The destination names no port: it is the ServiceEntry's only one.
		route := resource(mesh.KindVirtualService, "route", &networking.VirtualService{
			Hosts: []string{"backend.apps.internal"},
			Http: []*networking.HTTPRoute{{Name: "r", Route: []*networking.HTTPRouteDestination{{
				Destination: &networking.Destination{Host: "backend.apps.internal"},
			}}}},
		})
		translator := envoyir.NewTranslator()
		_, errs := translator.Translate(config(service(8080), route))
		Expect(errs).To(BeEmpty())

		moved := config(service(9090), route)
		got, errs := translator.Translate(moved)
		Expect(errs).To(BeEmpty())
		Expect(renderIR(got)).To(Equal(renderIR(mustTranslate(moved))))
		Expect(got.MeshHosts[0].Routes[0].Clusters[0].Cluster).To(Equal(envoyir.ClusterName(9090, "", "backend.apps.internal")))
	})

	It("reports the problems of reused parts again in every translation", func() {
		cfg := loadConfig("testdata/in/config-errors.yaml")
		_, want := envoyir.Translate(cfg)
		Expect(want).NotTo(BeEmpty())
		translator := envoyir.NewTranslator()
		for range 3 {
			_, errs := translator.Translate(cfg)
			Expect(fmt.Sprint(errs)).To(Equal(fmt.Sprint(want)))
		}
	})
})

func loadConfig(path string) mesh.Config {
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	cfg, err := mesh.ParseYAML(data)
	Expect(err).NotTo(HaveOccurred())
	return cfg
}

func mustTranslate(cfg mesh.Config) envoyir.IR {
	ir, errs := envoyir.Translate(cfg)
	Expect(errs).To(BeEmpty())
	return ir
}

func renderIR(ir envoyir.IR) string {
	js, err := json.Marshal(ir)
	Expect(err).NotTo(HaveOccurred())
	return string(js)
}

func all(cfg mesh.Config) []mesh.Resource {
	var out []mesh.Resource
	for _, k := range mesh.Kinds() {
		out = append(out, cfg.Of(k.Kind)...)
	}
	return out
}

func config(resources ...mesh.Resource) mesh.Config {
	cfg, err := mesh.NewConfig(resources)
	Expect(err).NotTo(HaveOccurred())
	return cfg
}

// sharing is cfg with every object that equals one of previous (same kind,
// key and version) replaced by previous's.
func sharing(cfg, previous mesh.Config) mesh.Config {
	known := map[string]mesh.Resource{}
	for _, r := range all(previous) {
		known[string(r.Kind)+" "+r.Key()+" "+r.Version] = r
	}
	var out []mesh.Resource
	for _, r := range all(cfg) {
		if p, ok := known[string(r.Kind)+" "+r.Key()+" "+r.Version]; ok {
			r = p
		}
		out = append(out, r)
	}
	return config(out...)
}

// withEndpoint is cfg with one endpoint added to the ServiceEntry of host:
// a new object, every other object the same.
func withEndpoint(cfg mesh.Config, host string, we *networking.WorkloadEntry) mesh.Config {
	var out []mesh.Resource
	for _, r := range all(cfg) {
		if se, ok := r.Spec.(*networking.ServiceEntry); ok && se.GetHosts()[0] == host {
			next := proto.Clone(se).(*networking.ServiceEntry)
			next.Endpoints = append(next.Endpoints, we)
			r = resource(mesh.KindServiceEntry, r.Name, next)
		}
		out = append(out, r)
	}
	return config(out...)
}

func resource(kind mesh.Kind, name string, spec proto.Message) mesh.Resource {
	r, err := mesh.NewResource(kind, mesh.Namespace, name, spec, nil, nil)
	Expect(err).NotTo(HaveOccurred())
	return r
}
