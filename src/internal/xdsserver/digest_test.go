package xdsserver

import (
	"fmt"
	"sync"

	"code.cloudfoundry.org/lager/v3/lagertest"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// loadAssignments is n fresh load assignments, as one translation makes
// them; variant changes the first one's content.
func loadAssignments(n, variant int) map[string]*endpointv3.ClusterLoadAssignment {
	out := map[string]*endpointv3.ClusterLoadAssignment{}
	for i := range n {
		name := fmt.Sprintf("cluster-%d", i)
		if i == 0 {
			name = fmt.Sprintf("cluster-%d-variant-%d", i, variant)
		}
		out[fmt.Sprintf("cluster-%d", i)] = &endpointv3.ClusterLoadAssignment{ClusterName: name}
	}
	return out
}

var _ = Describe("digestMemo", func() {
	var memo *digestMemo
	BeforeEach(func() { memo = newDigestMemo() })

	It("finds distinct messages of the same content equal, and of different content unequal", func() {
		a := &endpointv3.ClusterLoadAssignment{ClusterName: "a"}
		Expect(memo.equal(a, a)).To(BeTrue())
		Expect(memo.equal(a, &endpointv3.ClusterLoadAssignment{ClusterName: "a"})).To(BeTrue())
		Expect(memo.equal(a, &endpointv3.ClusterLoadAssignment{ClusterName: "b"})).To(BeFalse())
		Expect(memo.equal(a, &endpointv3.ClusterLoadAssignment{})).To(BeFalse())
	})

	It("keeps only what is served across Updates: diff retires what it replaces and sweep forgets it", func() {
		served := loadAssignments(100, 0)
		diff(memo, "test", nil, nil, served)
		memo.sweep()
		for i := range 5 {
			next := loadAssignments(100, i+1)
			c := diff(memo, "test", nil, served, next)
			Expect(c.upserts).To(HaveLen(1), "only the changed assignment is pushed")
			Expect(c.upserts).To(HaveKey("cluster-0"))
			memo.sweep()
			Expect(memo.size()).To(BeNumerically("<=", len(next)))
			served = next
		}
	})

	It("forgets the digests of an Update that failed half-way after the next one", func() {
		served := loadAssignments(50, 0)
		diff(memo, "test", nil, loadAssignments(50, 9), served)
		memo.sweep()
		failed := loadAssignments(50, 1)
		diff(memo, "test", nil, served, failed) // its cache update fails: served stays
		memo.sweep()
		next := loadAssignments(50, 2)
		Expect(diff(memo, "test", nil, served, next).upserts).To(HaveLen(1))
		memo.sweep()
		Expect(memo.size()).To(BeNumerically("<=", len(next)))
		memo.mu.Lock()
		defer memo.mu.Unlock()
		for _, m := range failed { // by pointer: HaveKey would compare content
			_, inCur := memo.cur[m]
			_, inPrev := memo.prev[m]
			Expect(inCur || inPrev).To(BeFalse())
		}
	})

	It("forgets what no Update compared for a whole Update", func() {
		for i := range 1000 {
			memo.equal(&endpointv3.ClusterLoadAssignment{ClusterName: fmt.Sprint(i)}, &endpointv3.ClusterLoadAssignment{})
		}
		Expect(memo.size()).To(Equal(2000))
		memo.sweep()
		Expect(memo.size()).To(Equal(2000))
		memo.sweep()
		Expect(memo.size()).To(BeZero())
	})

	It("compares with proto.Equal when told to", func() {
		memo.protoEqual = true
		Expect(memo.equal(&endpointv3.ClusterLoadAssignment{ClusterName: "a"}, &endpointv3.ClusterLoadAssignment{ClusterName: "a"})).To(BeTrue())
		Expect(memo.size()).To(BeZero())
	})

	It("is each Server's own: concurrent Updates of two servers keep their own digests", func() {
		servers := []*Server{New(lagertest.NewTestLogger("a"), nil, "a"), New(lagertest.NewTestLogger("b"), nil, "b")}
		Expect(servers[0].caches.memo).NotTo(BeIdenticalTo(servers[1].caches.memo))
		var wg sync.WaitGroup
		for i, s := range servers {
			wg.Go(func() {
				defer GinkgoRecover()
				for v := range 20 {
					res := xdsresources.Resources{GatewayEndpoints: loadAssignments(200, 2*v+i), MeshEndpoints: loadAssignments(100, v)}
					Expect(s.Update(res)).To(Succeed())
				}
			})
		}
		wg.Wait()
		for i, s := range servers {
			Expect(s.caches.memo.size()).To(BeNumerically("<=", 300))
			Expect(s.current.GatewayEndpoints["cluster-0"].GetClusterName()).To(Equal(fmt.Sprintf("cluster-0-variant-%d", 38+i)))
		}
	})
})
