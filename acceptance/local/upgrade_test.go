package local_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

var _ = Describe("Upgrade", Ordered, func() {
	var (
		v1, v2 *testbed.App
		route  testbed.Route
	)

	BeforeAll(func() {
		v1, v2 = push("cart-v1", 1), push("cart-v2", 1)
		route = routeTo(false, "", v1, v2)
	})

	It("drops no call while the copilot and then the pilot restart (SIGTERM, as bosh deploy stops them), and follows Cloud Controller after", func(ctx SpecContext) {
		conn := dial(route.Host)
		answering(ctx, conn)
		load := startLoad(conn)
		before := load.Counts()

		By("restarting the copilot")
		restarted := time.Now()
		Expect(foundation.Copilot().Stop()).To(Succeed())
		Expect(foundation.Copilot().Start(ctx)).To(Succeed())
		Eventually(ctx, metricOf(ctx, foundation.Pilot(), "cfmesh_pilot_mcp_connected")).
			WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(BeEquivalentTo(1), "the pilot follows the new copilot")
		report.Measure("copilot stop to pilot reconnected", "%s", seconds(time.Since(restarted)))

		By("restarting the pilot")
		restarted = time.Now()
		Expect(foundation.Pilot().Stop()).To(Succeed())
		Expect(foundation.Pilot().Start(ctx)).To(Succeed())
		Eventually(ctx, metricOf(ctx, foundation.Pilot(), "cfmesh_pilot_xds_connected_proxies")).
			WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(BeNumerically(">=", 1), "the client reconnects")
		report.Measure("pilot stop to client reconnected", "%s", seconds(time.Since(restarted)))

		expectNoFailedCall(load.Counts().Sub(before), 100)

		patched := time.Now()
		patchWeights(ctx, route, weights{v1: 10, v2: 90})
		report.Measure("10/90 PATCH to split after the restarts", "%s", seconds(expectSplit(ctx, conn, weights{v1: 10, v2: 90}, patched)))
	}, SpecTimeout(3*time.Minute))
})
