package local_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

var _ = Describe("Fault: copilot killed", Ordered, func() {
	var (
		v1, v2 *testbed.App
		route  testbed.Route
	)

	BeforeAll(func() {
		v1, v2 = push("reviews-v1", 2), push("reviews-v2", 1)
		route = routeTo(false, "", v1, v2)
	})

	It("keeps the pilot serving its last state while the copilot is gone, and the restarted copilot pushes nothing empty", func(ctx SpecContext) {
		conn := dial(route.Host)
		answering(ctx, conn)
		gateway, mesh := watch(ctx, gatewayNode()), watch(ctx, meshNode(), route.Host)
		gatewayBaseline, meshBaseline := gateway.Latest(), mesh.Latest()
		report.Measure("gateway served before", "%s", describeBaseline(gatewayBaseline))
		load := startLoad(conn)
		before, since := load.Counts(), time.Now()

		By("killing the copilot (SIGKILL)")
		Expect(foundation.Copilot().Kill()).To(Succeed())
		Eventually(ctx, metricOf(ctx, foundation.Pilot(), "cfmesh_pilot_mcp_connected")).
			WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(BeEquivalentTo(0), "the pilot notices")
		time.Sleep(processDownFor)

		By("starting it again")
		started := time.Now()
		Expect(foundation.Copilot().Start(ctx)).To(Succeed())
		report.Measure("copilot start to ready (first publish)", "%s", seconds(time.Since(started)))
		Eventually(ctx, metricOf(ctx, foundation.Pilot(), "cfmesh_pilot_mcp_connected")).
			WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(BeEquivalentTo(1), "the pilot follows the new copilot")
		report.Measure("copilot start to pilot reconnected", "%s", seconds(time.Since(started)))
		time.Sleep(2 * time.Second) // past the new copilot's first push and the pilot's debounce

		expectNoFailedCall(load.Counts().Sub(before), 100)
		Expect(gateway.Shrinks(gatewayBaseline, since)).To(BeEmpty(), "the gateway never got fewer resources")
		Expect(mesh.Shrinks(meshBaseline, since)).To(BeEmpty(), "the client never got fewer resources")
		report.Measure("fewest served to the gateway", "%s", describeBaseline(minimum(gatewayBaseline, gateway.Since(since))))

		By("changing the weights: the pilot follows the new copilot")
		patched := time.Now()
		patchWeights(ctx, route, weights{v1: 25, v2: 75})
		report.Measure("25/75 PATCH to split after the restart", "%s", seconds(expectSplit(ctx, conn, weights{v1: 25, v2: 75}, patched)))
	}, SpecTimeout(3*time.Minute))
})
