package mcp_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	mcpv1alpha1 "istio.io/api/mcp/v1alpha1"
	networkingv1alpha3 "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mcp"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/internal/mcptest"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

const vsCollection = "networking.istio.io/v1/VirtualService"

// rawResource builds an MCP resource Any by hand, for inputs EncodeCollection
// would never produce.
func rawResource(name, version string, body *anypb.Any) *anypb.Any {
	value, err := proto.Marshal(&mcpv1alpha1.Resource{
		Metadata: &mcpv1alpha1.Metadata{Name: name, Version: version},
		Body:     body,
	})
	Expect(err).NotTo(HaveOccurred())
	return &anypb.Any{TypeUrl: mcp.ResourceTypeURL, Value: value}
}

func vsBody(host string) *anypb.Any {
	value, err := proto.Marshal(&networkingv1alpha3.VirtualService{Hosts: []string{host}})
	Expect(err).NotTo(HaveOccurred())
	return &anypb.Any{TypeUrl: "type.googleapis.com/istio.networking.v1alpha3.VirtualService", Value: value}
}

func expectSameResources(got, want []mesh.Resource) {
	Expect(got).To(HaveLen(len(want)))
	for i := range want {
		Expect(got[i].Kind).To(Equal(want[i].Kind))
		Expect(got[i].Key()).To(Equal(want[i].Key()))
		Expect(got[i].Version).To(Equal(want[i].Version))
		Expect(got[i].Labels).To(Equal(want[i].Labels))
		Expect(got[i].Annotations).To(Equal(want[i].Annotations))
		Expect(proto.Equal(got[i].Spec, want[i].Spec)).To(BeTrue(), "spec of %s", want[i].Key())
	}
}

var _ = Describe("EncodeCollection and DecodeCollection", func() {
	var cfg mesh.Config

	BeforeEach(func() {
		cfg = mcptest.Config(
			mcptest.Gateway(8080),
			mcptest.VirtualService("a.example.com", 80),
			mcptest.VirtualService("b.example.com", 50),
			mcptest.DestinationRule("a.example.com"),
			mcptest.ServiceEntry("a.example.com", "10.0.0.1"),
			mcptest.PeerAuthentication(),
		)
	})

	It("round-trips every kind under every version it is served under", func() {
		for _, info := range mesh.Kinds() {
			encoded, err := mcp.EncodeCollection(cfg, info.Kind)
			Expect(err).NotTo(HaveOccurred())
			Expect(encoded).To(HaveLen(len(cfg.Of(info.Kind))))
			for _, version := range info.Versions {
				decoded, err := mcp.DecodeCollection(info.Collection(version), encoded)
				Expect(err).NotTo(HaveOccurred(), "%s", info.Collection(version))
				expectSameResources(decoded, cfg.Of(info.Kind))
			}
		}
	})

	It("wraps each object the way istiod's MCP client expects", func() {
		encoded, err := mcp.EncodeCollection(cfg, mesh.KindVirtualService)
		Expect(err).NotTo(HaveOccurred())
		Expect(encoded).To(HaveLen(2))
		Expect(encoded[0].TypeUrl).To(Equal("type.googleapis.com/istio.mcp.v1alpha1.Resource"))

		var r mcpv1alpha1.Resource
		Expect(encoded[0].UnmarshalTo(&r)).To(Succeed())
		want := cfg.Of(mesh.KindVirtualService)[0]
		Expect(r.Metadata.Name).To(Equal("cloudfoundry/vs-a.example.com"))
		Expect(r.Metadata.Version).To(Equal(want.Version))
		Expect(r.Metadata.Annotations).To(Equal(want.Annotations))
		Expect(r.Body.TypeUrl).To(Equal("type.googleapis.com/istio.networking.v1alpha3.VirtualService"))
		spec, err := r.Body.UnmarshalNew()
		Expect(err).NotTo(HaveOccurred())
		Expect(proto.Equal(spec, want.Spec)).To(BeTrue())
	})

	It("names the security body protos by their v1beta1 message", func() {
		encoded, err := mcp.EncodeCollection(cfg, mesh.KindPeerAuthentication)
		Expect(err).NotTo(HaveOccurred())
		var r mcpv1alpha1.Resource
		Expect(encoded[0].UnmarshalTo(&r)).To(Succeed())
		Expect(r.Body.TypeUrl).To(Equal("type.googleapis.com/istio.security.v1beta1.PeerAuthentication"))
	})

	It("marshals deterministically", func() {
		labels := map[string]string{}
		for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
			labels[k] = k + "-value"
		}
		r, err := mesh.NewResource(mesh.KindDestinationRule, "ns", "dr", &networkingv1alpha3.DestinationRule{
			Host:    "h",
			Subsets: []*networkingv1alpha3.Subset{{Name: "s", Labels: labels}},
		}, labels, labels)
		Expect(err).NotTo(HaveOccurred())
		c := mcptest.Config(r)
		first, err := mcp.EncodeCollection(c, mesh.KindDestinationRule)
		Expect(err).NotTo(HaveOccurred())
		for range 20 {
			again, err := mcp.EncodeCollection(c, mesh.KindDestinationRule)
			Expect(err).NotTo(HaveOccurred())
			Expect(again[0].Value).To(Equal(first[0].Value))
		}
	})

	It("encodes and decodes an empty collection", func() {
		encoded, err := mcp.EncodeCollection(cfg, mesh.KindSidecar)
		Expect(err).NotTo(HaveOccurred())
		Expect(encoded).To(BeEmpty())
		decoded, err := mcp.DecodeCollection("networking.istio.io/v1alpha3/Sidecar", encoded)
		Expect(err).NotTo(HaveOccurred())
		Expect(decoded).To(BeEmpty())
	})

	It("computes the content version when the metadata has none", func() {
		decoded, err := mcp.DecodeCollection(vsCollection, []*anypb.Any{rawResource("ns/vs", "", vsBody("a.example.com"))})
		Expect(err).NotTo(HaveOccurred())
		want, err := mesh.NewResource(mesh.KindVirtualService, "ns", "vs", &networkingv1alpha3.VirtualService{Hosts: []string{"a.example.com"}}, nil, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(decoded[0].Version).NotTo(BeEmpty())
		Expect(decoded[0].Version).To(Equal(want.Version))
	})

	It("keeps the version the server stamped", func() {
		decoded, err := mcp.DecodeCollection(vsCollection, []*anypb.Any{rawResource("ns/vs", "v42", vsBody("a.example.com"))})
		Expect(err).NotTo(HaveOccurred())
		Expect(decoded[0].Version).To(Equal("v42"))
	})

	Describe("encoding errors", func() {
		It("rejects an unknown kind", func() {
			_, err := mcp.EncodeCollection(cfg, mesh.Kind("EnvoyFilter"))
			Expect(err).To(MatchError(ContainSubstring(`unknown kind "EnvoyFilter"`)))
		})

		It("rejects a spec of the wrong message type, naming the object", func() {
			wrong := mcptest.Config(mesh.Resource{Kind: mesh.KindGateway, Namespace: "ns", Name: "gw", Spec: &networkingv1alpha3.VirtualService{}})
			_, err := mcp.EncodeCollection(wrong, mesh.KindGateway)
			Expect(err).To(MatchError(And(ContainSubstring("ns/gw"), ContainSubstring("want istio.networking.v1alpha3.Gateway"))))
		})

		It("rejects an object without a spec", func() {
			empty := mcptest.Config(mesh.Resource{Kind: mesh.KindGateway, Namespace: "ns", Name: "gw"})
			_, err := mcp.EncodeCollection(empty, mesh.KindGateway)
			Expect(err).To(MatchError(ContainSubstring("ns/gw: no spec")))
		})
	})

	DescribeTable("decoding rejects the whole collection",
		func(typeURL string, resources func() []*anypb.Any, message string) {
			decoded, err := mcp.DecodeCollection(typeURL, resources())
			Expect(err).To(MatchError(ContainSubstring(message)))
			Expect(decoded).To(BeNil())
		},
		Entry("an unknown collection", "networking.istio.io/v1/EnvoyFilter",
			func() []*anypb.Any { return nil }, "unknown kind"),
		Entry("a collection version the kind is not served under", "security.istio.io/v1alpha3/PeerAuthentication",
			func() []*anypb.Any { return nil }, "not served"),
		Entry("a missing resource", vsCollection,
			func() []*anypb.Any { return []*anypb.Any{nil} }, "resource 0: missing"),
		Entry("a resource that is not an MCP resource", vsCollection,
			func() []*anypb.Any { return []*anypb.Any{vsBody("a")} }, "resource 0: type \"type.googleapis.com/istio.networking.v1alpha3.VirtualService\""),
		Entry("a resource that does not unmarshal", vsCollection,
			func() []*anypb.Any { return []*anypb.Any{{TypeUrl: mcp.ResourceTypeURL, Value: []byte{0xff, 0xff}}} }, "resource 0: unmarshal mcp resource"),
		Entry("a resource without metadata", vsCollection,
			func() []*anypb.Any { return []*anypb.Any{rawResource("", "", vsBody("a"))} }, `name "" is not of the form namespace/name`),
		Entry("a name without namespace", vsCollection,
			func() []*anypb.Any { return []*anypb.Any{rawResource("vs", "1", vsBody("a"))} }, `resource 0: name "vs"`),
		Entry("a name with an empty namespace", vsCollection,
			func() []*anypb.Any { return []*anypb.Any{rawResource("/vs", "1", vsBody("a"))} }, `name "/vs"`),
		Entry("a name with two slashes", vsCollection,
			func() []*anypb.Any {
				return []*anypb.Any{rawResource("ns/ok", "1", vsBody("a")), rawResource("ns/a/b", "1", vsBody("a"))}
			}, `resource 1: name "ns/a/b"`),
		Entry("a resource without body", vsCollection,
			func() []*anypb.Any { return []*anypb.Any{rawResource("ns/vs", "1", nil)} }, "resource 0: (ns/vs): no body"),
		Entry("a body of another kind", vsCollection,
			func() []*anypb.Any {
				return []*anypb.Any{rawResource("ns/vs", "1", &anypb.Any{TypeUrl: "type.googleapis.com/istio.networking.v1alpha3.Gateway"})}
			}, `(ns/vs): body type "type.googleapis.com/istio.networking.v1alpha3.Gateway"`),
		Entry("a body with a foreign type URL prefix", vsCollection,
			func() []*anypb.Any {
				return []*anypb.Any{rawResource("ns/vs", "1", &anypb.Any{TypeUrl: "example.com/istio.networking.v1alpha3.VirtualService"})}
			}, `body type "example.com/istio.networking.v1alpha3.VirtualService"`),
		Entry("a body that does not unmarshal", vsCollection,
			func() []*anypb.Any {
				return []*anypb.Any{rawResource("ns/vs", "1", &anypb.Any{TypeUrl: "type.googleapis.com/istio.networking.v1alpha3.VirtualService", Value: []byte{0x0a, 0x05}})}
			}, "(ns/vs): unmarshal istio.networking.v1alpha3.VirtualService"),
		Entry("a duplicate name", vsCollection,
			func() []*anypb.Any {
				return []*anypb.Any{rawResource("ns/vs", "1", vsBody("a")), rawResource("ns/vs", "2", vsBody("b"))}
			}, "resource 1 (ns/vs): duplicate name"),
	)
})
