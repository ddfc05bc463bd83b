package xdsresources_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/golden"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

var _ = Describe("Translator", func() {
	inputs, err := golden.Inputs("testdata/in/*.yaml")
	if err != nil {
		panic(err)
	}
	var cases []string
	for _, input := range inputs {
		if !strings.HasSuffix(input, ".options.yaml") && !strings.HasSuffix(input, ".nodes.yaml") {
			cases = append(cases, input)
		}
	}
	rendered := func(res xdsresources.Resources, input string) string {
		out := bytes.NewBuffer(render(res))
		renderNodes(out, res, loadNodes(input))
		return out.String()
	}

	It("translates every IR as Translate does, whatever it translated before", func() {
		for _, input := range cases {
			opts := loadOptions(input)
			want, wantErrs := xdsresources.Translate(loadIR(input), opts)
			for _, before := range cases {
				translator := xdsresources.NewTranslator(opts)
				translator.Translate(loadIR(before))
				got, gotErrs := translator.Translate(loadIR(input))
				Expect(rendered(got, input)).To(Equal(rendered(want, input)), "%s after %s", filepath.Base(input), filepath.Base(before))
				Expect(fmt.Sprint(gotErrs)).To(Equal(fmt.Sprint(wantErrs)))
			}
		}
	})

	It("translates instances of an internal app coming and going as Translate does (per-instance hosts, ADR 19)", func() {
		three := loadIR(perInstanceCase)
		four := withInstance(three, 3, "10.255.1.4")
		five := withInstance(four, 4, "10.255.1.5")
		conflicting := withInstance(four, 7, "10.255.1.4") // two indexes for one endpoint: both keep their clusters
		opts := loadOptions(perInstanceCase)
		translator := xdsresources.NewTranslator(opts)
		for i, ir := range []envoyir.IR{three, four, five, conflicting, four, three, five, three} {
			got, gotErrs := translator.Translate(ir)
			want, wantErrs := xdsresources.Translate(ir, opts)
			Expect(rendered(got, perInstanceCase)).To(Equal(rendered(want, perInstanceCase)), "round %d", i)
			Expect(fmt.Sprint(gotErrs)).To(Equal(fmt.Sprint(wantErrs)))
		}
		res, _ := xdsresources.Translate(conflicting, opts)
		Expect(res.SidecarClusters).To(HaveKey(backendThree))
		Expect(res.SidecarClusters).To(HaveKey(envoyir.ClusterName(8080, "app-backend-web", "7.backend.apps.internal")))
	})

	It("gives the same message for every resource whose IR did not change, and a new one for the endpoints that did", func() {
		ir := loadIR("testdata/in/mesh-policies.yaml")
		translator := xdsresources.NewTranslator(loadOptions("testdata/in/mesh-policies.yaml"))
		before, errs := translator.Translate(ir)
		Expect(errs).To(BeEmpty())

		changed := slices.Clone(ir.LoadAssignments)
		changed[0].Endpoints = append(slices.Clone(changed[0].Endpoints), envoyir.Endpoint{Address: "10.255.99.1", Port: 8080})
		ir.LoadAssignments = changed
		after, errs := translator.Translate(ir)
		Expect(errs).To(BeEmpty())

		moved := changed[0].Cluster
		expectSameMessages(before.GatewayListeners, after.GatewayListeners, "")
		expectSameMessages(before.MeshListeners, after.MeshListeners, "")
		expectSameMessages(before.Routes, after.Routes, "")
		expectSameMessages(before.GatewayClusters, after.GatewayClusters, "")
		expectSameMessages(before.MeshClusters, after.MeshClusters, "")
		expectSameMessages(before.GatewayEndpoints, after.GatewayEndpoints, moved)
		expectSameMessages(before.MeshEndpoints, after.MeshEndpoints, moved)
		Expect(after.MeshEndpoints[moved].String()).To(ContainSubstring("10.255.99.1"))
	})

	It("gives gateways only the clusters and endpoints their routes name", func() {
		res, errs := xdsresources.Translate(loadIR("testdata/in/wildcard-internal-nats-only.yaml"), xdsresources.Options{})
		Expect(errs).To(BeEmpty())
		internal := envoyir.ClusterName(8080, "proc-backend", "backend.apps.internal")
		Expect(res.MeshClusters).To(HaveKey(internal), "mesh clients reach the internal route")
		Expect(res.GatewayClusters).NotTo(HaveKey(internal), "no gateway route names it")
		Expect(res.GatewayEndpoints).NotTo(HaveKey(internal))
		Expect(res.GatewayClusters).NotTo(BeEmpty())
		for _, rc := range res.Routes {
			if !strings.HasPrefix(rc.GetName(), "http.") && !strings.HasPrefix(rc.GetName(), "https.") {
				continue
			}
			for _, vh := range rc.GetVirtualHosts() {
				for _, r := range vh.GetRoutes() {
					for _, c := range r.GetRoute().GetWeightedClusters().GetClusters() {
						Expect(res.GatewayClusters).To(HaveKey(c.GetName()))
					}
					if c := r.GetRoute().GetCluster(); c != "" {
						Expect(res.GatewayClusters).To(HaveKey(c))
					}
				}
			}
		}
	})

	It("reports a resource that fails validation in every translation, not only the one that built it", func() {
		cluster := envoyir.ClusterName(8080, "", "broken.apps.internal")
		ir := envoyir.IR{
			Clusters:        []envoyir.Cluster{{Name: cluster, Host: "broken.apps.internal", Port: 8080}},
			LoadAssignments: []envoyir.LoadAssignment{{Cluster: cluster, Endpoints: []envoyir.Endpoint{{Address: "", Port: 8080}}}},
		}
		translator := xdsresources.NewTranslator(xdsresources.Options{})
		for range 2 {
			res, errs := translator.Translate(ir)
			Expect(fmt.Sprint(errs)).To(ContainSubstring("ClusterLoadAssignment " + cluster + " is invalid and was not served"))
			Expect(res.MeshEndpoints).NotTo(HaveKey(cluster))
			Expect(res.MeshClusters).To(HaveKey(cluster))
		}
	})
})

// expectSameMessages expects both translations to hold the same names, each
// the very same message, except the one named changed, which must differ.
func expectSameMessages[T proto.Message](before, after map[string]T, changed string) {
	Expect(len(after)).To(Equal(len(before)))
	for name, m := range before {
		Expect(after).To(HaveKey(name))
		if name == changed {
			Expect(after[name]).NotTo(BeIdenticalTo(m), name)
			Expect(proto.Equal(after[name], m)).To(BeFalse(), name)
			continue
		}
		Expect(after[name]).To(BeIdenticalTo(m), "%s is reused", name)
	}
}
