package mcp_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"code.cloudfoundry.org/cf-mesh/internal/mcp"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/internal/mcptest"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// deltaOf wraps resources the way the copilot's delta server sends them.
func deltaOf(resources ...mesh.Resource) []mcp.DeltaResource {
	out := make([]mcp.DeltaResource, 0, len(resources))
	for _, r := range resources {
		body, err := mcp.EncodeResource(r)
		Expect(err).NotTo(HaveOccurred())
		out = append(out, mcp.DeltaResource{Name: r.Key(), Version: r.Version, Body: body})
	}
	return out
}

var _ = Describe("EncodeResource and DecodeResource", func() {
	It("encode one object exactly as EncodeCollection does", func() {
		cfg := mcptest.World(70, "a.example.com", "b.example.com")
		for _, info := range mesh.Kinds() {
			collection, err := mcp.EncodeCollection(cfg, info.Kind)
			Expect(err).NotTo(HaveOccurred())
			for i, r := range cfg.Of(info.Kind) {
				one, err := mcp.EncodeResource(r)
				Expect(err).NotTo(HaveOccurred())
				Expect(proto.Equal(one, collection[i])).To(BeTrue(), r.Key())
				back, err := mcp.DecodeResource(info.Collection("v1"), one)
				Expect(err).NotTo(HaveOccurred())
				expectSameResources([]mesh.Resource{back}, []mesh.Resource{r})
			}
		}
	})

	It("reject what the collection codec rejects", func() {
		_, err := mcp.EncodeResource(mesh.Resource{Kind: "EnvoyFilter", Namespace: "ns", Name: "f"})
		Expect(err).To(MatchError(ContainSubstring(`ns/f: unknown kind "EnvoyFilter"`)))
		_, err = mcp.EncodeResource(mesh.Resource{Kind: mesh.KindGateway, Namespace: "ns", Name: "gw"})
		Expect(err).To(MatchError(ContainSubstring("Gateway ns/gw: no spec")))
		_, err = mcp.DecodeResource("networking.istio.io/v1/EnvoyFilter", nil)
		Expect(err).To(MatchError(ContainSubstring("unknown kind")))
		_, err = mcp.DecodeResource(vsCollection, rawResource("vs", "1", vsBody("a")))
		Expect(err).To(MatchError(ContainSubstring(`name "vs" is not of the form namespace/name`)))
	})
})

var _ = Describe("DecodeDelta", func() {
	a := mcptest.VirtualService("a.example.com", 80)
	b := mcptest.VirtualService("b.example.com", 30)

	It("decodes updates and removals, sorted by key", func() {
		d, err := mcp.DecodeDelta(vsCollection, deltaOf(b, a), []string{"cloudfoundry/z", "cloudfoundry/c", "cloudfoundry/c"})
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Err()).NotTo(HaveOccurred())
		expectSameResources(d.Updated, []mesh.Resource{a, b})
		Expect(d.Removed).To(Equal([]string{"cloudfoundry/c", "cloudfoundry/z"}))
	})

	It("decodes an empty response", func() {
		d, err := mcp.DecodeDelta("networking.istio.io/v1alpha3/Sidecar", nil, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Updated).To(BeEmpty())
		Expect(d.Removed).To(BeEmpty())
		Expect(d.Rejected).To(BeEmpty())
	})

	It("takes the xDS version, or the content version when there is none", func() {
		entries := deltaOf(a, b)
		entries[0].Version = "xds-version"
		entries[1].Version = ""
		d, err := mcp.DecodeDelta(vsCollection, entries, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Updated[0].Version).To(Equal("xds-version"))
		Expect(d.Updated[1].Version).To(Equal(b.Version))
	})

	It("fails the whole response for an unknown collection", func() {
		_, err := mcp.DecodeDelta("networking.istio.io/v1/EnvoyFilter", deltaOf(a), nil)
		Expect(err).To(MatchError(ContainSubstring("unknown kind")))
	})

	DescribeTable("rejects a bad entry by name and keeps the good ones",
		func(entries func() []mcp.DeltaResource, removed []string, message string, wantUpdated, wantRemoved []string) {
			d, err := mcp.DecodeDelta(vsCollection, entries(), removed)
			Expect(err).NotTo(HaveOccurred())
			Expect(d.Rejected).NotTo(BeEmpty())
			Expect(d.Err()).To(MatchError(ContainSubstring(message)))
			got := []string{}
			for _, r := range d.Updated {
				got = append(got, r.Key())
			}
			Expect(got).To(Equal(wantUpdated))
			Expect(d.Removed).To(Equal(wantRemoved))
		},
		Entry("a body that is not an MCP resource", func() []mcp.DeltaResource {
			entries := deltaOf(a, b)
			entries[1].Body = vsBody("b.example.com")
			return entries
		}, nil, `resource 1 ("cloudfoundry/vs-b.example.com"): type`, []string{"cloudfoundry/vs-a.example.com"}, nil),
		Entry("a missing body", func() []mcp.DeltaResource {
			return append(deltaOf(a), mcp.DeltaResource{Name: "cloudfoundry/x", Version: "1"})
		}, nil, "resource 1 (\"cloudfoundry/x\"): missing", []string{"cloudfoundry/vs-a.example.com"}, nil),
		Entry("an entry without a name", func() []mcp.DeltaResource {
			entries := deltaOf(a, b)
			entries[0].Name = ""
			return entries
		}, nil, "resource 0 (\"\"): no resource name", []string{"cloudfoundry/vs-b.example.com"}, nil),
		Entry("a name that differs from the metadata name", func() []mcp.DeltaResource {
			entries := deltaOf(a, b)
			entries[0].Name = "cloudfoundry/other"
			return entries
		}, nil, `metadata name "cloudfoundry/vs-a.example.com" differs`, []string{"cloudfoundry/vs-b.example.com"}, nil),
		Entry("a name sent twice: both copies", func() []mcp.DeltaResource {
			return deltaOf(a, b, a)
		}, []string{"cloudfoundry/c"}, "name occurs more than once", []string{"cloudfoundry/vs-b.example.com"}, []string{"cloudfoundry/c"}),
		Entry("a name both updated and removed: both", func() []mcp.DeltaResource {
			return deltaOf(a, b)
		}, []string{"cloudfoundry/vs-a.example.com"}, "also updated in the same response", []string{"cloudfoundry/vs-b.example.com"}, nil),
		Entry("a removed name that is not namespace/name", func() []mcp.DeltaResource {
			return deltaOf(a)
		}, []string{"no-namespace", "cloudfoundry/c"}, `removed resource: name "no-namespace"`, []string{"cloudfoundry/vs-a.example.com"}, []string{"cloudfoundry/c"}),
		Entry("a body of another kind", func() []mcp.DeltaResource {
			return []mcp.DeltaResource{{Name: "ns/vs", Version: "1", Body: rawResource("ns/vs", "1", &anypb.Any{TypeUrl: "type.googleapis.com/istio.networking.v1alpha3.Gateway"})}}
		}, nil, `body type "type.googleapis.com/istio.networking.v1alpha3.Gateway"`, []string{}, nil),
	)
})
