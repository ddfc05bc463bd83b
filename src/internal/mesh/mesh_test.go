package mesh_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

func vs(name, host string) mesh.Resource {
	r, err := mesh.NewResource(mesh.KindVirtualService, mesh.Namespace, name,
		&networking.VirtualService{Hosts: []string{host}}, nil, nil)
	Expect(err).NotTo(HaveOccurred())
	return r
}

var _ = Describe("Resource versions", func() {
	It("depend on content only", func() {
		Expect(vs("a", "x.example.com").Version).To(Equal(vs("b", "x.example.com").Version))
		Expect(vs("a", "x.example.com").Version).NotTo(Equal(vs("a", "y.example.com").Version))
	})

	It("change with labels and annotations", func() {
		plain := vs("a", "x.example.com")
		labelled, err := mesh.NewResource(mesh.KindVirtualService, mesh.Namespace, "a",
			&networking.VirtualService{Hosts: []string{"x.example.com"}}, map[string]string{"k": "v"}, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(labelled.Version).NotTo(Equal(plain.Version))
	})
})

var _ = Describe("Config", func() {
	It("sorts objects by key and versions each collection", func() {
		cfg, err := mesh.NewConfig([]mesh.Resource{vs("b", "b.example.com"), vs("a", "a.example.com")})
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Of(mesh.KindVirtualService)[0].Name).To(Equal("a"))
		Expect(cfg.Len()).To(Equal(2))

		other, _ := mesh.NewConfig([]mesh.Resource{vs("a", "a.example.com")})
		Expect(other.CollectionVersion(mesh.KindVirtualService)).NotTo(Equal(cfg.CollectionVersion(mesh.KindVirtualService)))
		Expect(other.CollectionVersion(mesh.KindGateway)).To(Equal(cfg.CollectionVersion(mesh.KindGateway)))
	})

	DescribeTable("orders by key as the keys compare, without building them",
		func(aNamespace, aName, bNamespace, bName string) {
			a := mesh.Resource{Namespace: aNamespace, Name: aName}
			b := mesh.Resource{Namespace: bNamespace, Name: bName}
			Expect(mesh.CompareKeys(a, b)).To(Equal(strings.Compare(a.Key(), b.Key())))
			Expect(mesh.CompareKeys(b, a)).To(Equal(strings.Compare(b.Key(), a.Key())))
		},
		Entry("one namespace", "cloudfoundry", "a", "cloudfoundry", "b"),
		Entry("equal keys", "cloudfoundry", "a", "cloudfoundry", "a"),
		Entry("a namespace that prefixes another ('-' sorts before '/')", "a", "x", "a-b", "y"),
		Entry("different namespaces", "b", "a", "a", "z"),
	)

	It("rejects two objects with one key", func() {
		_, err := mesh.NewConfig([]mesh.Resource{vs("a", "a.example.com"), vs("a", "b.example.com")})
		Expect(err).To(MatchError(ContainSubstring("duplicate VirtualService cloudfoundry/a")))
	})
})

var _ = DescribeTable("ConfigOfSorted",
	func(objects func() []mesh.Resource, problem string) {
		list := objects()
		cfg, err := mesh.ConfigOfSorted(map[mesh.Kind][]mesh.Resource{mesh.KindVirtualService: list})
		if problem != "" {
			Expect(err).To(MatchError(ContainSubstring(problem)))
			return
		}
		Expect(err).NotTo(HaveOccurred())
		want, err := mesh.NewConfig(list)
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg).To(Equal(want))
	},
	Entry("sorted", func() []mesh.Resource { return []mesh.Resource{vs("a", "a.example.com"), vs("b", "b.example.com")} }, ""),
	Entry("empty", func() []mesh.Resource { return []mesh.Resource{} }, ""),
	Entry("out of order", func() []mesh.Resource { return []mesh.Resource{vs("b", "b.example.com"), vs("a", "a.example.com")} },
		"not sorted by key at cloudfoundry/a"),
	Entry("one key twice", func() []mesh.Resource { return []mesh.Resource{vs("a", "a.example.com"), vs("a", "b.example.com")} },
		"duplicate VirtualService cloudfoundry/a"),
	Entry("another kind", func() []mesh.Resource {
		return []mesh.Resource{{Kind: mesh.KindGateway, Namespace: mesh.Namespace, Name: "g"}}
	},
		"VirtualService collection holds Gateway cloudfoundry/g"),
)

var _ = Describe("Config.Updating", func() {
	It("puts objects in place of their namesakes or in key order, leaves out removed ones, and leaves the config it came from as it was", func() {
		cfg, err := mesh.NewConfig([]mesh.Resource{vs("a", "a.example.com"), vs("c", "c.example.com"), vs("e", "e.example.com")})
		Expect(err).NotTo(HaveOccurred())

		got, n := cfg.Updating(
			[]mesh.Resource{vs("c", "changed.example.com"), vs("e", "e.example.com"), vs("b", "b.example.com")},
			[]mesh.Resource{{Kind: mesh.KindVirtualService, Namespace: mesh.Namespace, Name: "a"}, {Kind: mesh.KindVirtualService, Namespace: mesh.Namespace, Name: "x"}})

		Expect(n).To(Equal(3), "c changed, b added, a removed; e is unchanged and x absent")
		want, err := mesh.NewConfig([]mesh.Resource{vs("b", "b.example.com"), vs("c", "changed.example.com"), vs("e", "e.example.com")})
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(Equal(want))
		Expect(cfg.Of(mesh.KindVirtualService)).To(HaveLen(3))
		Expect(cfg.Of(mesh.KindVirtualService)[1].Version).To(Equal(vs("c", "c.example.com").Version))
	})

	It("adds a kind the config did not have", func() {
		got, n := mesh.Config{}.Updating([]mesh.Resource{vs("a", "a.example.com")}, nil)
		Expect(n).To(Equal(1))
		Expect(got.Of(mesh.KindVirtualService)).To(HaveLen(1))
	})
})

var _ = Describe("Collections", func() {
	DescribeTable("ParseCollection",
		func(typeURL string, want mesh.Kind, wantErr string) {
			kind, err := mesh.ParseCollection(typeURL)
			if wantErr != "" {
				Expect(err).To(MatchError(ContainSubstring(wantErr)))
				return
			}
			Expect(err).NotTo(HaveOccurred())
			Expect(kind).To(Equal(want))
		},
		Entry("v1 spelling", "networking.istio.io/v1/VirtualService", mesh.KindVirtualService, ""),
		Entry("v1alpha3 spelling", "networking.istio.io/v1alpha3/Gateway", mesh.KindGateway, ""),
		Entry("security v1beta1", "security.istio.io/v1beta1/AuthorizationPolicy", mesh.KindAuthorizationPolicy, ""),
		Entry("unknown version", "networking.istio.io/v2/VirtualService", mesh.Kind(""), "version \"v2\""),
		Entry("unknown kind", "networking.istio.io/v1/EnvoyFilter", mesh.Kind(""), "unknown kind"),
		Entry("not a collection", "type.googleapis.com/envoy.config.cluster.v3.Cluster", mesh.Kind(""), "not of the form"),
	)

	It("round-trips every kind's collections", func() {
		for _, info := range mesh.Kinds() {
			for _, v := range info.Versions {
				kind, err := mesh.ParseCollection(info.Collection(v))
				Expect(err).NotTo(HaveOccurred())
				Expect(kind).To(Equal(info.Kind))
			}
			_, err := mesh.NewSpec(info.Kind)
			Expect(err).NotTo(HaveOccurred(), "every kind's proto is registered")
		}
	})
})

var _ = Describe("YAML", func() {
	It("round-trips a Config", func() {
		cfg, err := mesh.NewConfig([]mesh.Resource{vs("a", "a.example.com"), vs("b", "b.example.com")})
		Expect(err).NotTo(HaveOccurred())
		out, err := mesh.MarshalYAML(cfg)
		Expect(err).NotTo(HaveOccurred())
		back, err := mesh.ParseYAML(out)
		Expect(err).NotTo(HaveOccurred())
		again, err := mesh.MarshalYAML(back)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(again)).To(Equal(string(out)))
	})

	DescribeTable("rejects bad documents with a reason",
		func(doc, want string) {
			_, err := mesh.ParseYAML([]byte(doc))
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("unknown kind", "kind: Ingress\nmetadata: {namespace: a, name: b}\n", "unknown kind"),
		Entry("missing name", "kind: Gateway\nmetadata: {namespace: a}\n", "metadata.namespace and metadata.name are required"),
		Entry("unknown spec field", "kind: Gateway\nmetadata: {namespace: a, name: b}\nspec: {nope: 1}\n", "spec"),
		Entry("unknown envelope field", "kind: Gateway\nstatus: {}\nmetadata: {namespace: a, name: b}\n", "unknown field"),
		Entry("second document broken", "kind: Gateway\nmetadata: {namespace: a, name: b}\n---\nkind: Nope\n", "document 2"),
	)
})

var _ = Describe("ParsePrincipal", func() {
	const guid = "5e3b1c2a-0f4d-4c8e-9a7b-1d2e3f4a5b6c"

	DescribeTable("reads the principals cf-mesh writes",
		func(in string, want mesh.Principal) {
			got, err := mesh.ParsePrincipal(in)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal(want))
			Expect(got.String()).To(Equal(in))
		},
		Entry("an app", "app:"+guid, mesh.Principal{Kind: mesh.PrincipalApp, GUID: guid}),
		Entry("a space", "space:"+guid, mesh.Principal{Kind: mesh.PrincipalSpace, GUID: guid}),
		Entry("an organization", "organization:"+guid, mesh.Principal{Kind: mesh.PrincipalOrganization, GUID: guid}),
		Entry("any caller", "*", mesh.Principal{Kind: mesh.PrincipalAny}),
	)

	DescribeTable("refuses anything else, since principals become certificate matchers",
		func(in, want string) {
			_, err := mesh.ParsePrincipal(in)
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("a SPIFFE identity", "spiffe://cluster.local/ns/default/sa/frontend", "want app:<guid>"),
		Entry("regex characters", "app:.*", "is not a lower-case GUID"),
		Entry("an upper-case GUID", "app:5E3B1C2A-0F4D-4C8E-9A7B-1D2E3F4A5B6C", "is not a lower-case GUID"),
		Entry("cf-networking's org spelling", "org:"+guid, "want app:<guid>"),
	)
})

var _ = DescribeTable("InstanceHost splits `<index>.<parent>` and nothing else",
	func(host, index, parent string, ok bool) {
		gotIndex, gotParent, gotOK := mesh.InstanceHost(host)
		Expect([]any{gotIndex, gotParent, gotOK}).To(Equal([]any{index, parent, ok}))
	},
	Entry("an instance", "3.backend.apps.internal", "3", "backend.apps.internal", true),
	Entry("a long index", "1029.app.apps.internal", "1029", "app.apps.internal", true),
	Entry("a host", "backend.apps.internal", "", "", false),
	Entry("digits and letters", "3a.backend.apps.internal", "", "", false),
	Entry("no parent", "3.", "", "", false),
	Entry("no index", ".backend.apps.internal", "", "", false),
	Entry("no dot", "3", "", "", false),
	Entry("empty", "", "", "", false),
)
