package meshstore_test

import (
	"fmt"
	"maps"
	"math/rand/v2"

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

var _ = Describe("Store.ApplyDelta", func() {
	kinds := []mesh.Kind{mesh.KindGateway, mesh.KindVirtualService}

	synced := func(vs ...mesh.Resource) meshstore.Store {
		s, _ := meshstore.New(kinds).Apply(mesh.KindGateway, nil)
		s, _ = s.Apply(mesh.KindVirtualService, vs)
		return s
	}

	It("marks a kind received with its first delta, even an empty one", func() {
		s := meshstore.New(kinds)
		Expect(s.Received(mesh.KindGateway)).To(BeFalse())
		s, changed := s.ApplyDelta(mesh.KindGateway, nil, nil)
		Expect(changed).To(BeTrue())
		Expect(s.Received(mesh.KindGateway)).To(BeTrue())
		Expect(s.Missing()).To(Equal([]mesh.Kind{mesh.KindVirtualService}))

		s, changed = s.ApplyDelta(mesh.KindVirtualService, []mesh.Resource{virtualService("a", "a.com")}, []string{"cloudfoundry/nothing"})
		Expect(changed).To(BeTrue())
		Expect(s.Synced()).To(BeTrue())
		_, changed = s.ApplyDelta(mesh.KindGateway, nil, nil)
		Expect(changed).To(BeFalse(), "a second empty delta changes nothing")
	})

	DescribeTable("merges changes into the collection, reporting whether anything changed",
		func(updated []mesh.Resource, removed []string, wantKeys []string, wantChanged bool) {
			before := synced(virtualService("b", "b.com"), virtualService("d", "d.com"))
			after, changed := before.ApplyDelta(mesh.KindVirtualService, updated, removed)
			Expect(changed).To(Equal(wantChanged))
			cfg, err := after.Config()
			Expect(err).NotTo(HaveOccurred())
			Expect(keys(cfg.Of(mesh.KindVirtualService))).To(Equal(wantKeys))
		},
		Entry("an object added in front", []mesh.Resource{virtualService("a", "a.com")}, nil,
			[]string{"cloudfoundry/a", "cloudfoundry/b", "cloudfoundry/d"}, true),
		Entry("objects added in the middle and at the end, out of order",
			[]mesh.Resource{virtualService("e", "e.com"), virtualService("c", "c.com")}, nil,
			[]string{"cloudfoundry/b", "cloudfoundry/c", "cloudfoundry/d", "cloudfoundry/e"}, true),
		Entry("an object changed", []mesh.Resource{virtualService("b", "other.com")}, nil,
			[]string{"cloudfoundry/b", "cloudfoundry/d"}, true),
		Entry("an object re-sent unchanged", []mesh.Resource{virtualService("b", "b.com")}, nil,
			[]string{"cloudfoundry/b", "cloudfoundry/d"}, false),
		Entry("an object removed", nil, []string{"cloudfoundry/b"}, []string{"cloudfoundry/d"}, true),
		Entry("an absent object removed", nil, []string{"cloudfoundry/x"}, []string{"cloudfoundry/b", "cloudfoundry/d"}, false),
		Entry("everything removed", nil, []string{"cloudfoundry/b", "cloudfoundry/d"}, []string{}, true),
		Entry("a key both removed and updated ends up updated",
			[]mesh.Resource{virtualService("b", "other.com")}, []string{"cloudfoundry/b"},
			[]string{"cloudfoundry/b", "cloudfoundry/d"}, true),
		Entry("nothing", nil, nil, []string{"cloudfoundry/b", "cloudfoundry/d"}, false),
		Entry("an object updated twice: the later wins",
			[]mesh.Resource{virtualService("c", "first.com"), virtualService("c", "c.com")}, nil,
			[]string{"cloudfoundry/b", "cloudfoundry/c", "cloudfoundry/d"}, true),
	)

	It("merges any delta as a map of objects by key would", func() {
		rng := rand.New(rand.NewPCG(3, 5))
		for round := range 300 {
			held := map[string]mesh.Resource{}
			var before []mesh.Resource
			for i := range rng.IntN(8) {
				r := virtualService(fmt.Sprint("vs-", i*2), fmt.Sprint(i, ".com"))
				held[r.Key()] = r
				before = append(before, r)
			}
			var updated []mesh.Resource
			var removed []string
			for range rng.IntN(6) {
				name := fmt.Sprint("vs-", rng.IntN(16))
				if rng.IntN(3) == 0 {
					removed = append(removed, mesh.Namespace+"/"+name)
					continue
				}
				updated = append(updated, virtualService(name, fmt.Sprint(rng.IntN(3), ".example.com")))
			}
			want := maps.Clone(held)
			for _, key := range removed {
				delete(want, key)
			}
			for _, r := range updated {
				want[r.Key()] = r
			}
			after, _ := synced(before...).ApplyDelta(mesh.KindVirtualService, updated, removed)
			cfg, err := after.Config()
			Expect(err).NotTo(HaveOccurred(), "round %d", round)
			got := map[string]string{}
			for _, r := range cfg.Of(mesh.KindVirtualService) {
				got[r.Key()] = r.Version
			}
			wantVersions := map[string]string{}
			for key, r := range want {
				wantVersions[key] = r.Version
			}
			Expect(got).To(Equal(wantVersions), "round %d", round)
		}
	})

	It("keeps the content of the object it was given", func() {
		s, _ := synced(virtualService("b", "b.com")).ApplyDelta(mesh.KindVirtualService, []mesh.Resource{virtualService("b", "new.com")}, nil)
		cfg, err := s.Config()
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.Of(mesh.KindVirtualService)[0].Version).To(Equal(virtualService("b", "new.com").Version))
	})

	It("copies on write: the previous Store and the caller's slices are untouched", func() {
		before := synced(virtualService("b", "b.com"))
		input := []mesh.Resource{virtualService("a", "a.com")}
		after, _ := before.ApplyDelta(mesh.KindVirtualService, input, []string{"cloudfoundry/b"})
		input[0] = virtualService("z", "z.com")

		old, err := before.Config()
		Expect(err).NotTo(HaveOccurred())
		Expect(keys(old.Of(mesh.KindVirtualService))).To(Equal([]string{"cloudfoundry/b"}))
		cfg, err := after.Config()
		Expect(err).NotTo(HaveOccurred())
		Expect(keys(cfg.Of(mesh.KindVirtualService))).To(Equal([]string{"cloudfoundry/a"}))
	})

	It("ignores a kind it does not subscribe to", func() {
		s := meshstore.New([]mesh.Kind{mesh.KindGateway})
		next, changed := s.ApplyDelta(mesh.KindVirtualService, []mesh.Resource{virtualService("a", "a.com")}, nil)
		Expect(changed).To(BeFalse())
		Expect(next.Received(mesh.KindVirtualService)).To(BeFalse())
	})

	It("agrees with Apply: a delta to the same content is no change", func() {
		s := synced(virtualService("a", "a.com"), virtualService("b", "b.com"))
		full, changed := s.Apply(mesh.KindVirtualService, []mesh.Resource{virtualService("a", "a.com"), virtualService("c", "c.com")})
		Expect(changed).To(BeTrue())
		delta, changed := s.ApplyDelta(mesh.KindVirtualService, []mesh.Resource{virtualService("c", "c.com")}, []string{"cloudfoundry/b"})
		Expect(changed).To(BeTrue())
		Expect(delta.Versions(mesh.KindVirtualService)).To(Equal(full.Versions(mesh.KindVirtualService)))
		merged, err := delta.Config()
		Expect(err).NotTo(HaveOccurred())
		_, changed = full.Apply(mesh.KindVirtualService, merged.Of(mesh.KindVirtualService))
		Expect(changed).To(BeFalse())
	})
})

var _ = Describe("Store.Versions", func() {
	It("lists key and version of every object of a received kind, nil before", func() {
		s := meshstore.New([]mesh.Kind{mesh.KindVirtualService})
		Expect(s.Versions(mesh.KindVirtualService)).To(BeNil())
		a := virtualService("a", "a.com")
		s, _ = s.Apply(mesh.KindVirtualService, []mesh.Resource{a})
		Expect(s.Versions(mesh.KindVirtualService)).To(Equal(map[string]string{"cloudfoundry/a": a.Version}))
		s, _ = s.ApplyDelta(mesh.KindVirtualService, nil, []string{"cloudfoundry/a"})
		Expect(s.Versions(mesh.KindVirtualService)).To(Equal(map[string]string{}))
	})
})
