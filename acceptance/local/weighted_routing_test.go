package local_test

import (
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

var _ = Describe("Weighted routing", Ordered, func() {
	var (
		v1, v2 *testbed.App
		route  testbed.Route
	)

	BeforeAll(func() {
		v1, v2 = push("shop-v1", 2), push("shop-v2", 1)
		route = routeTo(false, "", v1, v2)
	})

	It("splits calls by the weights PATCHed into Cloud Controller, and flips with the next PATCH", func(ctx SpecContext) {
		conn := dial(route.Host)
		answering(ctx, conn)

		patched := time.Now()
		patchWeights(ctx, route, weights{v1: 80, v2: 20})
		report.Measure("80/20 PATCH to split", "%s", seconds(expectSplit(ctx, conn, weights{v1: 80, v2: 20}, patched)))

		patched = time.Now()
		patchWeights(ctx, route, weights{v1: 20, v2: 80})
		report.Measure("20/80 PATCH to split", "%s", seconds(expectSplit(ctx, conn, weights{v1: 20, v2: 80}, patched)))
	}, SpecTimeout(2*time.Minute))

	It("splits HTTP requests the same way through a real Envoy gateway", func(ctx SpecContext) {
		gw := skipWithoutGateway()
		counts := map[string]int{}
		Eventually(ctx, func(g Gomega) {
			clear(counts)
			for range splitCalls {
				a, err := gw.Get(ctx, route.Host, "/")
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(a.Status).To(Equal(http.StatusOK), a.Body)
				counts[strings.SplitN(a.Body, "/", 2)[0]]++
			}
			g.Expect(100 * counts[v2.Name] / splitCalls).To(BeNumerically("~", 80, splitTolerance))
		}).WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(Succeed())
		report.Measure("gateway split", "%s %d%%, %s %d%%", v1.Name, 100*counts[v1.Name]/splitCalls, v2.Name, 100*counts[v2.Name]/splitCalls)
	}, SpecTimeout(2*time.Minute))
})
