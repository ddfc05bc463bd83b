package xdsresources_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/golden"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// loadAssignmentOf is ir's load assignment of cluster.
func loadAssignmentOf(ir envoyir.IR, cluster string) envoyir.LoadAssignment {
	i := slices.IndexFunc(ir.LoadAssignments, func(la envoyir.LoadAssignment) bool { return la.Cluster == cluster })
	Expect(i).NotTo(Equal(-1), cluster)
	return ir.LoadAssignments[i]
}

// expectEndpointsOf expects first's load assignments of every class to have
// what full gives them (the xDS server compares content, so it sends them
// once).
func expectEndpointsOf(first, full xdsresources.Resources, context string) {
	for class, maps := range map[string][2]map[string]*endpointv3.ClusterLoadAssignment{
		"gateway": {first.GatewayEndpoints, full.GatewayEndpoints},
		"mesh":    {first.MeshEndpoints, full.MeshEndpoints},
		"sidecar": {first.SidecarEndpoints, full.SidecarEndpoints},
	} {
		for name, la := range maps[0] {
			Expect(maps[1]).To(HaveKey(name), "%s: %s %s", context, class, name)
			Expect(proto.Equal(maps[1][name], la)).To(BeTrue(), "%s: %s %s", context, class, name)
		}
	}
}

var _ = Describe("ServedEndpoints.LoadAssignments (endpoints first, ADR 20)", func() {
	It("gives every load assignment of every golden case to the classes that were served it, as Translate gives it", func() {
		inputs, err := golden.Inputs("testdata/in/*.yaml")
		Expect(err).NotTo(HaveOccurred())
		for _, input := range inputs {
			if strings.HasSuffix(input, ".options.yaml") || strings.HasSuffix(input, ".nodes.yaml") {
				continue
			}
			ir := loadIR(input)
			translator := xdsresources.NewTranslator(loadOptions(input))
			want, _ := xdsresources.Translate(ir, loadOptions(input))
			translator.Translate(ir)

			first := translator.ServedEndpoints().LoadAssignments(envoyir.EndpointChanges{LoadAssignments: ir.LoadAssignments})

			context := filepath.Base(input)
			for class, maps := range map[string][2]map[string]*endpointv3.ClusterLoadAssignment{
				"gateway": {first.GatewayEndpoints, want.GatewayEndpoints},
				"mesh":    {first.MeshEndpoints, want.MeshEndpoints},
				"sidecar": {first.SidecarEndpoints, want.SidecarEndpoints},
			} {
				Expect(maps[0]).To(HaveLen(len(maps[1])), "%s: %s", context, class)
				for name, la := range maps[1] {
					Expect(proto.Equal(maps[0][name], la)).To(BeTrue(), "%s: %s %s", context, class, name)
				}
			}
			Expect(first.GatewayClusters).To(BeNil())
			Expect(first.Routes).To(BeNil())
		}
	})

	It("stays the snapshot of its translation while the Translator translates the next IR", func() {
		three := loadIR(perInstanceCase)
		four := withInstance(three, 3, "10.255.1.4")
		translator := xdsresources.NewTranslator(loadOptions(perInstanceCase))
		translator.Translate(three)
		served := translator.ServedEndpoints()
		translator.Translate(four)

		first := served.LoadAssignments(envoyir.EndpointChanges{LoadAssignments: four.LoadAssignments})
		Expect(first.MeshEndpoints).NotTo(HaveKey(backendThree), "3.backend was not served when the snapshot was taken")
		Expect(first.SidecarEndpoints[backend].GetEndpoints()[0].GetLbEndpoints()).To(HaveLen(4))
	})

	It("gives nothing for a cluster no class was served", func() {
		translator := xdsresources.NewTranslator(loadOptions(perInstanceCase))
		translator.Translate(loadIR(perInstanceCase))
		first := translator.ServedEndpoints().LoadAssignments(changed(envoyir.LoadAssignment{Cluster: "outbound|8080||nowhere.apps.internal", Endpoints: []envoyir.Endpoint{{Address: "10.0.0.1", Port: 8080}}}))
		Expect(first.GatewayEndpoints).To(BeEmpty())
		Expect(first.MeshEndpoints).To(BeEmpty())
		Expect(first.SidecarEndpoints).To(BeEmpty())
	})

	It("drops a stopped instance's endpoint from the parent's sidecar load assignment at once, exactly as the full translation then does", func() {
		three := loadIR(perInstanceCase)
		four := withInstance(three, 3, "10.255.1.4")
		translator := xdsresources.NewTranslator(loadOptions(perInstanceCase))
		translator.Translate(four)

		first := translator.ServedEndpoints().LoadAssignments(changed(loadAssignmentOf(three, backend)))
		Expect(first.SidecarEndpoints).To(HaveKey(backend))
		Expect(first.SidecarEndpoints[backend].GetEndpoints()[0].GetLbEndpoints()).To(HaveLen(3))

		full, errs := translator.Translate(three)
		Expect(errs).To(BeEmpty())
		expectEndpointsOf(first, full, "instance stopped")
	})

	It("serves a started instance's endpoint at once, and its index label with the full translation when its per-instance host is not new", func() {
		three := loadIR(perInstanceCase)
		four := withInstance(three, 3, "10.255.1.4")
		translator := xdsresources.NewTranslator(loadOptions(perInstanceCase))
		translator.Translate(three)

		first := translator.ServedEndpoints().LoadAssignments(changed(loadAssignmentOf(four, backend)))
		lbs := first.SidecarEndpoints[backend].GetEndpoints()[0].GetLbEndpoints()
		Expect(lbs).To(HaveLen(4))
		Expect(lbs[3].GetEndpoint().GetAddress().GetSocketAddress().GetAddress()).To(Equal("10.255.1.4"))
		Expect(instanceIndexOf(lbs[3])).To(BeEmpty(), "3.backend is not folded yet")
		Expect(first.MeshEndpoints).To(HaveKey(backend))

		full, errs := translator.Translate(four)
		Expect(errs).To(BeEmpty())
		Expect(instanceIndexOf(full.SidecarEndpoints[backend].GetEndpoints()[0].GetLbEndpoints()[3])).To(Equal("3"))
		Expect(proto.Equal(full.MeshEndpoints[backend], first.MeshEndpoints[backend])).To(BeTrue())
	})

	It("labels a started instance at once when its new per-instance host comes with it, exactly as the full translation then does", func() {
		three := loadIR(perInstanceCase)
		four := withInstance(three, 3, "10.255.1.4")
		translator := xdsresources.NewTranslator(loadOptions(perInstanceCase))
		translator.Translate(three)
		changes := changed(loadAssignmentOf(four, backend))
		changes.NewHosts = []envoyir.HostEndpoints{{Host: "3.backend.apps.internal", Port: 8080, Endpoints: loadAssignmentOf(four, backendThree).Endpoints}}

		first := translator.ServedEndpoints().LoadAssignments(changes)
		lbs := first.SidecarEndpoints[backend].GetEndpoints()[0].GetLbEndpoints()
		Expect(lbs).To(HaveLen(4))
		Expect(instanceIndexOf(lbs[3])).To(Equal("3"))

		full, errs := translator.Translate(four)
		Expect(errs).To(BeEmpty())
		expectEndpointsOf(first, full, "instance started")
	})

	DescribeTable("does not label a started instance that the parent does not hold, or that a folded instance overlaps",
		func(host string, port uint32, addresses ...string) {
			three := loadIR(perInstanceCase)
			four := withInstance(three, 3, "10.255.1.4")
			translator := xdsresources.NewTranslator(loadOptions(perInstanceCase))
			translator.Translate(three)
			changes := changed(loadAssignmentOf(four, backend))
			var endpoints []envoyir.Endpoint
			for _, a := range addresses {
				endpoints = append(endpoints, envoyir.Endpoint{Address: a, Port: 8080})
			}
			changes.NewHosts = []envoyir.HostEndpoints{{Host: host, Port: port, Endpoints: endpoints}}

			lbs := translator.ServedEndpoints().LoadAssignments(changes).SidecarEndpoints[backend].GetEndpoints()[0].GetLbEndpoints()
			Expect(lbs).To(HaveLen(4))
			Expect(instanceIndexOf(lbs[3])).To(BeEmpty())
			for i, lb := range lbs[:3] {
				Expect(instanceIndexOf(lb)).To(Equal(fmt.Sprint(i)), "the folded instances keep their labels")
			}
		},
		Entry("an endpoint the parent does not hold", "3.backend.apps.internal", uint32(8080), "10.255.1.4", "10.255.1.99"),
		Entry("another port", "3.backend.apps.internal", uint32(9090), "10.255.1.4"),
		Entry("another parent", "3.frontend.apps.internal", uint32(8080), "10.255.1.4"),
		Entry("not a per-instance host", "three.backend.apps.internal", uint32(8080), "10.255.1.4"),
		Entry("an index a folded instance has", "0.backend.apps.internal", uint32(8080), "10.255.1.4"),
		Entry("an endpoint a folded instance has", "5.backend.apps.internal", uint32(8080), "10.255.1.1"),
	)
})

var _ = Describe("ServedEndpoints, an instance that moved (ADR 20)", func() {
	backendTwo := envoyir.ClusterName(8080, "app-backend-web", "2.backend.apps.internal")
	var (
		three      envoyir.IR
		translator *xdsresources.Translator
	)
	BeforeEach(func() {
		three = loadIR(perInstanceCase)
		translator = xdsresources.NewTranslator(loadOptions(perInstanceCase))
		_, errs := translator.Translate(three)
		Expect(errs).To(BeEmpty())
	})

	It("labels its new address at once, exactly as the full translation then does, whose folds hold", func() {
		moved := movedInstance(three, backendTwo, "10.255.1.9")
		changes := changed(loadAssignmentOf(moved, backend), loadAssignmentOf(moved, backendTwo))

		first := translator.ServedEndpoints().LoadAssignments(changes)
		Expect(translator.ServedEndpoints().FoldsHold(changes)).To(BeTrue())
		lbs := first.SidecarEndpoints[backend].GetEndpoints()[0].GetLbEndpoints()
		Expect(lbs).To(HaveLen(3))
		Expect(lbs[2].GetEndpoint().GetAddress().GetSocketAddress().GetAddress()).To(Equal("10.255.1.9"))
		Expect(instanceIndexOf(lbs[2])).To(Equal("2"))

		full, errs := translator.Translate(moved)
		Expect(errs).To(BeEmpty())
		expectEndpointsOf(first, full, "instance moved")
		Expect(full.SidecarClusters).NotTo(HaveKey(backendTwo), "still folded")
	})

	DescribeTable("does not hold when the full translation would fold otherwise",
		func(changes func(moved envoyir.IR) envoyir.EndpointChanges) {
			moved := movedInstance(three, backendTwo, "10.255.1.9")
			Expect(translator.ServedEndpoints().FoldsHold(changes(moved))).To(BeFalse())
		},
		Entry("an instance's own host moved, its parent's not (yet)", func(moved envoyir.IR) envoyir.EndpointChanges {
			return changed(loadAssignmentOf(moved, backendTwo))
		}),
		Entry("the parent lost an instance whose own host stays", func(moved envoyir.IR) envoyir.EndpointChanges {
			return changed(loadAssignmentOf(moved, backend))
		}),
	)

	It("is right that the parent losing an instance whose own host stays unfolds it", func() {
		moved := movedInstance(three, backendTwo, "10.255.1.9")
		parentOnly := three
		parentOnly.LoadAssignments = slices.Clone(three.LoadAssignments)
		for i, la := range parentOnly.LoadAssignments {
			if la.Cluster == backend {
				parentOnly.LoadAssignments[i] = loadAssignmentOf(moved, backend)
			}
		}
		full, errs := translator.Translate(parentOnly)
		Expect(errs).To(BeEmpty())
		Expect(full.SidecarClusters).To(HaveKey(backendTwo))
	})
})

// movedInstance is ir after the instance whose own cluster is own moved to
// address (restarted in another container): route-emitter registered the
// new address under backend.apps.internal and the instance's own host, and
// unregistered the old one.
func movedInstance(ir envoyir.IR, own, address string) envoyir.IR {
	old := loadAssignmentOf(ir, own).Endpoints
	Expect(old).To(HaveLen(1))
	next := envoyir.Endpoint{Address: address, Port: old[0].Port}
	ir.LoadAssignments = slices.Clone(ir.LoadAssignments)
	for i, la := range ir.LoadAssignments {
		switch la.Cluster {
		case own:
			ir.LoadAssignments[i].Endpoints = []envoyir.Endpoint{next}
		case backend:
			endpoints := slices.DeleteFunc(slices.Clone(la.Endpoints), func(e envoyir.Endpoint) bool { return e == old[0] })
			ir.LoadAssignments[i].Endpoints = append(endpoints, next)
		}
	}
	return ir
}

// changed is the endpoints-first changes of las alone.
func changed(las ...envoyir.LoadAssignment) envoyir.EndpointChanges {
	return envoyir.EndpointChanges{LoadAssignments: las}
}
