package meshstore_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	networkingv1alpha3 "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/meshstore"
)

func gateway(name string, port uint32) mesh.Resource {
	r, err := mesh.NewResource(mesh.KindGateway, mesh.Namespace, name, &networkingv1alpha3.Gateway{
		Servers: []*networkingv1alpha3.Server{{Port: &networkingv1alpha3.Port{Number: port, Protocol: "HTTP", Name: "http"}, Hosts: []string{"*"}}},
	}, nil, nil)
	Expect(err).NotTo(HaveOccurred())
	return r
}

func virtualService(name, host string) mesh.Resource {
	r, err := mesh.NewResource(mesh.KindVirtualService, mesh.Namespace, name, &networkingv1alpha3.VirtualService{Hosts: []string{host}}, nil, nil)
	Expect(err).NotTo(HaveOccurred())
	return r
}

func keys(resources []mesh.Resource) []string {
	out := []string{}
	for _, r := range resources {
		out = append(out, r.Key())
	}
	return out
}

var _ = Describe("Store", func() {
	kinds := []mesh.Kind{mesh.KindGateway, mesh.KindVirtualService}

	Describe("the sync gate", func() {
		It("is not synced and yields no Config before any collection", func() {
			s := meshstore.New(kinds)
			Expect(s.Synced()).To(BeFalse())
			Expect(s.Missing()).To(Equal(kinds))
			_, err := s.Config()
			Expect(err).To(MatchError("mesh store not synced: no Gateway, VirtualService received yet"))
		})

		It("stays unsynced while one kind is missing", func() {
			s, changed := meshstore.New(kinds).Apply(mesh.KindGateway, []mesh.Resource{gateway("gw", 80)})
			Expect(changed).To(BeTrue())
			Expect(s.Synced()).To(BeFalse())
			Expect(s.Missing()).To(Equal([]mesh.Kind{mesh.KindVirtualService}))
			_, err := s.Config()
			Expect(err).To(MatchError(ContainSubstring("no VirtualService")))
		})

		It("counts an empty collection as received", func() {
			s, _ := meshstore.New(kinds).Apply(mesh.KindGateway, nil)
			s, changed := s.Apply(mesh.KindVirtualService, []mesh.Resource{})
			Expect(changed).To(BeTrue())
			Expect(s.Synced()).To(BeTrue())
			cfg, err := s.Config()
			Expect(err).NotTo(HaveOccurred())
			Expect(cfg.Len()).To(BeZero())
		})

		It("is trivially synced when it subscribes to nothing", func() {
			Expect(meshstore.New(nil).Synced()).To(BeTrue())
		})

		It("ignores duplicate subscriptions", func() {
			s := meshstore.New([]mesh.Kind{mesh.KindGateway, mesh.KindGateway})
			Expect(s.Kinds()).To(Equal([]mesh.Kind{mesh.KindGateway}))
		})
	})

	DescribeTable("Apply reports whether the collection changed",
		func(before, after []mesh.Resource, want bool) {
			s, _ := meshstore.New(kinds).Apply(mesh.KindVirtualService, before)
			_, changed := s.Apply(mesh.KindVirtualService, after)
			Expect(changed).To(Equal(want))
		},
		Entry("same objects", []mesh.Resource{virtualService("a", "a.com")}, []mesh.Resource{virtualService("a", "a.com")}, false),
		Entry("same objects in another order",
			[]mesh.Resource{virtualService("a", "a.com"), virtualService("b", "b.com")},
			[]mesh.Resource{virtualService("b", "b.com"), virtualService("a", "a.com")}, false),
		Entry("both empty", nil, []mesh.Resource{}, false),
		Entry("an object added", []mesh.Resource{virtualService("a", "a.com")},
			[]mesh.Resource{virtualService("a", "a.com"), virtualService("b", "b.com")}, true),
		Entry("an object removed", []mesh.Resource{virtualService("a", "a.com"), virtualService("b", "b.com")},
			[]mesh.Resource{virtualService("a", "a.com")}, true),
		Entry("everything removed", []mesh.Resource{virtualService("a", "a.com")}, nil, true),
		Entry("an object changed", []mesh.Resource{virtualService("a", "a.com")}, []mesh.Resource{virtualService("a", "other.com")}, true),
		Entry("an object renamed", []mesh.Resource{virtualService("a", "a.com")}, []mesh.Resource{virtualService("b", "a.com")}, true),
	)

	It("returns a new Store and leaves the old one unchanged", func() {
		s1, _ := meshstore.New(kinds).Apply(mesh.KindGateway, []mesh.Resource{gateway("gw", 80)})
		s1, _ = s1.Apply(mesh.KindVirtualService, []mesh.Resource{virtualService("a", "a.com")})
		s2, changed := s1.Apply(mesh.KindVirtualService, []mesh.Resource{virtualService("b", "b.com")})
		Expect(changed).To(BeTrue())

		old, err := s1.Config()
		Expect(err).NotTo(HaveOccurred())
		Expect(keys(old.Of(mesh.KindVirtualService))).To(Equal([]string{"cloudfoundry/a"}))
		updated, err := s2.Config()
		Expect(err).NotTo(HaveOccurred())
		Expect(keys(updated.Of(mesh.KindVirtualService))).To(Equal([]string{"cloudfoundry/b"}))
		Expect(keys(updated.Of(mesh.KindGateway))).To(Equal([]string{"cloudfoundry/gw"}))
	})

	It("does not alias the caller's slice", func() {
		input := []mesh.Resource{virtualService("b", "b.com"), virtualService("a", "a.com")}
		s, _ := meshstore.New(kinds).Apply(mesh.KindGateway, nil)
		s, _ = s.Apply(mesh.KindVirtualService, input)
		input[0] = virtualService("z", "z.com")
		cfg, err := s.Config()
		Expect(err).NotTo(HaveOccurred())
		Expect(keys(cfg.Of(mesh.KindVirtualService))).To(Equal([]string{"cloudfoundry/a", "cloudfoundry/b"}))
	})

	It("ignores a kind it does not subscribe to", func() {
		s := meshstore.New([]mesh.Kind{mesh.KindGateway})
		next, changed := s.Apply(mesh.KindVirtualService, []mesh.Resource{virtualService("a", "a.com")})
		Expect(changed).To(BeFalse())
		Expect(next.Len()).To(BeZero())
		Expect(next.Synced()).To(BeFalse())
	})

	It("counts the objects it holds", func() {
		s, _ := meshstore.New(kinds).Apply(mesh.KindGateway, []mesh.Resource{gateway("gw", 80)})
		s, _ = s.Apply(mesh.KindVirtualService, []mesh.Resource{virtualService("a", "a.com"), virtualService("b", "b.com")})
		Expect(s.Len()).To(Equal(3))
	})

	DescribeTable("Config rejects inconsistent collections",
		func(vs []mesh.Resource, message string) {
			s, _ := meshstore.New(kinds).Apply(mesh.KindGateway, nil)
			s, _ = s.Apply(mesh.KindVirtualService, vs)
			_, err := s.Config()
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("two objects with the same key",
			[]mesh.Resource{virtualService("a", "a.com"), virtualService("a", "b.com")}, "duplicate VirtualService cloudfoundry/a"),
		Entry("an object of another kind",
			[]mesh.Resource{gateway("gw", 80)}, "VirtualService collection holds Gateway cloudfoundry/gw"),
	)
})
