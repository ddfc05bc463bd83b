package local_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

// ccBackoffLimit is the longest the copilot waits between failed Cloud
// Controller reads (ccpoller: doubling from the event poll interval, up to
// a minute), so the longest it may take to notice the outage ended.
const ccBackoffLimit = time.Minute

var _ = Describe("Fault: Cloud Controller answering 500s and timeouts", Ordered, func() {
	var (
		v1, v2 *testbed.App
		route  testbed.Route
	)

	BeforeAll(func() {
		v1, v2 = push("search-v1", 2), push("search-v2", 1)
		route = routeTo(false, "", v1, v2)
	})

	It("changes no route and fails no call while Cloud Controller fails, then follows it again", func(ctx SpecContext) {
		conn := dial(route.Host)
		patched := time.Now()
		patchWeights(ctx, route, weights{v1: 70, v2: 30})
		expectSplit(ctx, conn, weights{v1: 70, v2: 30}, patched)
		gateway, mesh := watch(ctx, gatewayNode()), watch(ctx, meshNode(), route.Host)
		gatewayBaseline, meshBaseline := gateway.Latest(), mesh.Latest()
		report.Measure("gateway served before", "%s", describeBaseline(gatewayBaseline))
		failedPolls := metric(ctx, foundation.Copilot(), "cfmesh_copilot_cc_event_polls_total", `result="failure"`)
		load := startLoad(conn)
		before, since := load.Counts(), time.Now()

		By("failing every Cloud Controller request for the fault duration")
		outage := foundation.CloudControllerOutage(faultDuration)
		report.Measure("outage", "%s", faultDuration)
		Eventually(ctx, outage.Done()).WithTimeout(faultDuration + time.Minute).Should(BeClosed())
		errors, hangs := outage.Answered()
		report.Measure("requests failed", "%d answered 500, %d hung past the request timeout", errors, hangs)
		Expect(errors).To(BeNumerically(">", 0))
		Expect(hangs).To(BeNumerically(">", 0))
		Expect(metric(ctx, foundation.Copilot(), "cfmesh_copilot_cc_event_polls_total", `result="failure"`)).
			To(BeNumerically(">", failedPolls), "the copilot's reads failed")

		By("waiting for the copilot to read Cloud Controller again: its backoff reached up to a minute")
		ended := time.Now()
		recovered := metric(ctx, foundation.Copilot(), "cfmesh_copilot_cc_event_polls_total", `result="success"`)
		Eventually(ctx, metricOf(ctx, foundation.Copilot(), "cfmesh_copilot_cc_event_polls_total", `result="success"`)).
			WithTimeout(ccBackoffLimit + convergeTimeout).WithPolling(pollInterval).Should(BeNumerically(">", recovered+2))
		report.Measure("outage end to the copilot reading again", "%s", seconds(time.Since(ended)))
		time.Sleep(2 * time.Second) // past a rebuild the recovery could cause

		expectNoFailedCall(load.Counts().Sub(before), int(faultDuration/time.Second)*10)
		Expect(gateway.Changes(gatewayBaseline, since)).To(BeEmpty(), "the gateway's configuration did not change")
		Expect(mesh.Changes(meshBaseline, since)).To(BeEmpty(), "the client's configuration did not change")
		report.Measure("configuration changes", "%d gateway, %d mesh", len(gateway.Changes(gatewayBaseline, since)), len(mesh.Changes(meshBaseline, since)))

		patched = time.Now()
		patchWeights(ctx, route, weights{v1: 30, v2: 70})
		report.Measure("30/70 PATCH to split after the outage", "%s", seconds(expectSplit(ctx, conn, weights{v1: 30, v2: 70}, patched)))
	}, SpecTimeout(faultDuration+4*time.Minute))
})
