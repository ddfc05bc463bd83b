package local_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

// processDownFor is how long a killed copilot or pilot stays down.
const processDownFor = 5 * time.Second

var _ = Describe("Fault: pilot killed", Ordered, func() {
	var (
		v1, v2 *testbed.App
		route  testbed.Route
	)

	BeforeAll(func() {
		v1, v2 = push("profile-v1", 1), push("profile-v2", 1)
		route = routeTo(false, "", v1, v2)
	})

	It("keeps clients working on their last configuration while the pilot is gone, and they resync when it is back", func(ctx SpecContext) {
		conn := dial(route.Host)
		answering(ctx, conn)
		load := startLoad(conn)
		before := load.Counts()

		By("killing the pilot (SIGKILL)")
		Expect(foundation.Pilot().Kill()).To(Succeed())
		time.Sleep(processDownFor)
		report.Measure("calls while no pilot ran", "%d", load.Counts().Sub(before).Calls)

		By("starting it again")
		started := time.Now()
		Expect(foundation.Pilot().Start(ctx)).To(Succeed())
		report.Measure("pilot start to ready", "%s", seconds(time.Since(started)))
		Eventually(ctx, metricOf(ctx, foundation.Pilot(), "cfmesh_pilot_xds_connected_proxies")).
			WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(BeNumerically(">=", 1), "the client reconnects")
		report.Measure("pilot start to client resynced", "%s", seconds(time.Since(started)))
		expectNoFailedCall(load.Counts().Sub(before), 100)

		By("changing the weights: the same client follows the new pilot")
		patched := time.Now()
		patchWeights(ctx, route, weights{v1: 90, v2: 10})
		report.Measure("90/10 PATCH to split on the resynced client", "%s", seconds(expectSplit(ctx, conn, weights{v1: 90, v2: 10}, patched)))
	}, SpecTimeout(3*time.Minute))
})
