package meshconfig_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/meshconfig"
	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
	"code.cloudfoundry.org/cf-mesh/internal/source"
)

func w(v int32) *int32 { return &v }

func live(n int) []source.Endpoint {
	eps := make([]source.Endpoint, n)
	for i := range eps {
		eps[i] = source.Endpoint{Address: "10.0.0.1", Port: uint32(61000 + i)}
	}
	return eps
}

func versions(cfg mesh.Config) map[string]string {
	out := map[string]string{}
	for _, info := range mesh.Kinds() {
		for _, r := range cfg.Of(info.Kind) {
			out[string(r.Kind)+" "+r.Key()] = r.Version
		}
	}
	return out
}

var _ = Describe("EffectiveWeights", func() {
	DescribeTable("shares of a route's traffic",
		func(dests []routingtable.Destination, want []uint32) {
			Expect(meshconfig.EffectiveWeights(dests)).To(Equal(want))
		},
		Entry("no destinations", nil, []uint32{}),
		Entry("one destination gets everything", []routingtable.Destination{{Endpoints: live(1)}}, []uint32{100}),
		Entry("CC weights are kept", []routingtable.Destination{
			{Weight: w(80), Endpoints: live(1)}, {Weight: w(20), Endpoints: live(3)}}, []uint32{80, 20}),
		Entry("null weights are equal shares, remainder to the first", []routingtable.Destination{
			{Endpoints: live(1)}, {Endpoints: live(1)}, {Endpoints: live(1)}}, []uint32{34, 33, 33}),
		Entry("a destination without endpoints gets no share", []routingtable.Destination{
			{Weight: w(10), Endpoints: live(1)}, {Weight: w(30), Endpoints: live(1)}, {Weight: w(60)}}, []uint32{25, 75, 0}),
		Entry("no endpoints anywhere keeps the shares", []routingtable.Destination{
			{Weight: w(70)}, {Weight: w(30)}}, []uint32{70, 30}),
		Entry("largest remainder rounding", []routingtable.Destination{
			{Weight: w(1), Endpoints: live(1)}, {Weight: w(1), Endpoints: live(1)}, {Weight: w(1), Endpoints: live(1)},
			{Weight: w(97)}}, []uint32{34, 33, 33, 0}),
	)

	It("always sums to 100 when any destination exists", func() {
		for n := 1; n <= 12; n++ {
			dests := make([]routingtable.Destination, n)
			for i := range dests {
				dests[i] = routingtable.Destination{Weight: w(int32(i*7%13 + 1)), Endpoints: live(i % 2)}
			}
			var sum uint32
			for _, s := range meshconfig.EffectiveWeights(dests) {
				sum += s
			}
			Expect(sum).To(BeEquivalentTo(100), "n=%d", n)
		}
	})
})

var _ = Describe("Compile", func() {
	table := func(weightA int32) routingtable.Table {
		return routingtable.Table{Routes: []routingtable.Route{
			{GUID: "r1", Host: "a.example.com", Destinations: []routingtable.Destination{
				{Key: "p1", Port: 8080, Weight: w(weightA), Endpoints: live(1)},
				{Key: "p2", Port: 8080, Weight: w(100 - weightA), Endpoints: live(1)}}},
			{GUID: "r2", Host: "b.example.com", Destinations: []routingtable.Destination{
				{Key: "p3", Port: 8080, Endpoints: live(2)}}},
		}}
	}

	It("gives byte-identical output and versions for equal input", func() {
		first, errs := meshconfig.Compile(table(80), meshconfig.Options{})
		Expect(errs).To(BeEmpty())
		again, _ := meshconfig.Compile(table(80), meshconfig.Options{})
		a, _ := mesh.MarshalYAML(first)
		b, _ := mesh.MarshalYAML(again)
		Expect(a).To(Equal(b))
		Expect(versions(first)).To(Equal(versions(again)))
	})

	It("changes only the changed host's VirtualService when a weight changes", func() {
		before, _ := meshconfig.Compile(table(80), meshconfig.Options{})
		after, _ := meshconfig.Compile(table(30), meshconfig.Options{})
		vb, va := versions(before), versions(after)
		var changed []string
		for k, v := range va {
			if vb[k] != v {
				changed = append(changed, k)
			}
		}
		Expect(changed).To(ConsistOf("VirtualService cloudfoundry/copilot-service-for-a.example.com"))
		Expect(before.CollectionVersion(mesh.KindVirtualService)).NotTo(Equal(after.CollectionVersion(mesh.KindVirtualService)))
		Expect(before.CollectionVersion(mesh.KindServiceEntry)).To(Equal(after.CollectionVersion(mesh.KindServiceEntry)))
	})

	It("keeps an endpoint that registered only a TLS port, with no plain port", func() {
		cfg, errs := meshconfig.Compile(routingtable.Table{Routes: []routingtable.Route{
			{Host: "a.example.com", Destinations: []routingtable.Destination{{Key: "p1", Port: 8080, Endpoints: []source.Endpoint{
				{Address: "10.0.0.1", Port: 61001}, {Address: "10.0.0.2", TLSPort: 61443, ServerCertDomainSAN: "api.service.cf.internal"},
			}}}},
		}}, meshconfig.Options{})
		Expect(errs).To(BeEmpty())
		se := cfg.Of(mesh.KindServiceEntry)[0].Spec.(*networking.ServiceEntry)
		Expect(se.GetEndpoints()).To(HaveLen(2))
		tlsOnly := se.GetEndpoints()[1]
		Expect(tlsOnly.GetPorts()).To(Equal(map[string]uint32{mesh.TLSProxyPortName: 61443}))
		Expect(tlsOnly.GetServiceAccount()).To(Equal("api.service.cf.internal"))
	})

	It("uses the configured gateway port", func() {
		cfg, _ := meshconfig.Compile(routingtable.Table{}, meshconfig.Options{GatewayHTTPPort: 8080})
		gw := cfg.Of(mesh.KindGateway)[0].Spec.(*networking.Gateway)
		Expect(gw.Servers[0].Port.Number).To(BeEquivalentTo(8080))
	})

	It("never lets a wildcard host's objects collide with a literal host's", func() {
		cfg, errs := meshconfig.Compile(routingtable.Table{Routes: []routingtable.Route{
			{Host: "*.example.com"}, {Host: "wildcard.example.com"},
		}}, meshconfig.Options{})
		Expect(errs).To(BeEmpty())
		Expect(cfg.Of(mesh.KindVirtualService)).To(HaveLen(2))
	})
})
