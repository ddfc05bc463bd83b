package local_test

import (
	"time"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

var _ = Describe("Fault: NATS down", Ordered, func() {
	var (
		app   *testbed.App
		route testbed.Route
	)

	BeforeAll(func() {
		app = push("payments", 2)
		route = routeTo(false, "", app)
	})

	It("loses no endpoint and no call while NATS is down, and takes a new registration once it is back", func(ctx SpecContext) {
		conn := dial(route.Host)
		answering(ctx, conn)
		watcher := watch(ctx, meshNode(), route.Host)
		baseline := watcher.Latest()
		report.Measure("served before", "%s", describeBaseline(baseline))
		load := startLoad(conn)
		before, since := load.Counts(), time.Now()

		By("stopping NATS for the fault duration")
		outage := foundation.NATS().Outage(faultDuration)
		report.Measure("outage", "%s", faultDuration)
		Eventually(ctx, metricOf(ctx, foundation.Copilot(), "cfmesh_copilot_nats_pruning_suspended")).
			WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(BeEquivalentTo(1), "the copilot notices and stops pruning")
		Eventually(ctx, outage.Done()).WithTimeout(faultDuration + time.Minute).Should(BeClosed())
		Expect(outage.Err()).NotTo(HaveOccurred(), "NATS starts again")
		Eventually(ctx, metricOf(ctx, foundation.Copilot(), "cfmesh_copilot_nats_connected")).
			WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(BeEquivalentTo(1), "the copilot reconnects")

		expectNoFailedCall(load.Counts().Sub(before), int(faultDuration/time.Second)*10)
		Expect(watcher.Shrinks(baseline, since)).To(BeEmpty(), "no response had fewer resources or endpoints than before")
		report.Measure("fewest served", "%s", describeBaseline(minimum(baseline, watcher.Since(since))))

		By("registering a new instance after NATS is back")
		registered := time.Now()
		in, err := foundation.AddInstance(app)
		Expect(err).NotTo(HaveOccurred())
		Eventually(ctx, func() map[string]int {
			seen := map[string]int{}
			for range 30 {
				id, _ := backend.Call(ctx, conn)
				seen[id]++
			}
			return seen
		}).WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(HaveKey(in.ID))
		report.Measure("new registration to first call", "%s", seconds(time.Since(registered)))
		Eventually(ctx, func() int { return watcher.Latest()[resourcev3.EndpointType].Endpoints }).
			WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(Equal(baseline[resourcev3.EndpointType].Endpoints+1), "one endpoint more")
		Expect(load.Stop().Failures).To(Equal(before.Failures), "no call failed")
	}, SpecTimeout(faultDuration+4*time.Minute))
})
