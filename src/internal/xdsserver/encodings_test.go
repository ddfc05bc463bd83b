package xdsserver

import (
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("sharedEncodings", func() {
	var (
		shared       *sharedEncodings
		first, other *fleetCache
		outbound     *routev3.RouteConfiguration
	)
	routeCache := func(prefix string) *fleetCache {
		c := newFleetCache(resourcev3.RouteType, prefix)
		c.encodings = shared
		return c
	}
	encodingOf := func(c *fleetCache, name string) []byte {
		c.mu.Lock()
		r := c.resources[name]
		c.mu.Unlock()
		b, err := r.encoded()
		Expect(err).NotTo(HaveOccurred())
		return b
	}
	update := func(c *fleetCache, name string, res types.Resource) {
		Expect(c.UpdateResources(map[string]types.Resource{name: res}, nil)).To(Succeed())
	}

	BeforeEach(func() {
		shared = newSharedEncodings()
		first, other = routeCache("first-"), routeCache("other-")
		outbound = &routev3.RouteConfiguration{Name: "8080", VirtualHosts: []*routev3.VirtualHost{{Name: "orders.apps.internal:8080", Domains: []string{"orders.apps.internal"}}}}
	})

	It("encodes a message that several caches hold once for all of them", func() {
		update(first, "8080", outbound)
		update(other, "8080", outbound)
		a, b := encodingOf(first, "8080"), encodingOf(other, "8080")
		Expect(&a[0] == &b[0]).To(BeTrue(), "both caches answer from one encoding")
		Expect(shared.size()).To(Equal(1))
		ha, err := first.resources["8080"].hash()
		Expect(err).NotTo(HaveOccurred())
		Expect(other.resources["8080"].hash()).To(Equal(ha))
	})

	It("keeps each cache's version its own", func() {
		update(first, "8080", outbound)
		update(other, "8080", outbound)
		Expect(first.resources["8080"].version).To(Equal("first-1"))
		Expect(other.resources["8080"].version).To(Equal("other-1"))
	})

	It("forgets a message once no cache holds it: replaced, deleted or released", func() {
		update(first, "8080", outbound)
		update(other, "8080", outbound)
		update(first, "inbound", &routev3.RouteConfiguration{Name: "inbound"})
		Expect(shared.size()).To(Equal(2))

		By("one cache replacing it: the other still holds it")
		update(first, "8080", &routev3.RouteConfiguration{Name: "8080"})
		Expect(shared.size()).To(Equal(3))
		Expect(encodingOf(other, "8080")).NotTo(BeEmpty())

		By("the other deleting it")
		Expect(other.UpdateResources(nil, []string{"8080"})).To(Succeed())
		Expect(shared.size()).To(Equal(2))

		By("the first cache no longer served")
		first.release()
		Expect(shared.size()).To(BeZero())
		Expect(other.resources).To(BeEmpty())
	})

	It("counts a cache upserting the message it already holds once", func() {
		update(first, "8080", outbound)
		update(first, "8080", outbound)
		update(other, "8080", outbound)
		first.release()
		Expect(shared.size()).To(Equal(1))
		other.release()
		Expect(shared.size()).To(BeZero())
	})

	It("leaves a cache without shared encodings to encode for itself", func() {
		own := newFleetCache(resourcev3.RouteType, "own-")
		update(own, "8080", outbound)
		update(first, "8080", outbound)
		a, b := encodingOf(own, "8080"), encodingOf(first, "8080")
		Expect(a).To(Equal(b))
		Expect(&a[0] == &b[0]).To(BeFalse())
		Expect(shared.size()).To(Equal(1))
	})
})
