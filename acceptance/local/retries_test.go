package local_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/proxyless"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

var _ = Describe("Retries on an internal route", Ordered, func() {
	var (
		app   *testbed.App
		route testbed.Route
	)

	BeforeAll(func() {
		app = push("ledger", 2)
		route = routeTo(true, "", app)
	})

	It("retries a failed call on another instance once the route's retry annotations say so", func(ctx SpecContext) {
		conn := dial(route.Host)
		answering(ctx, conn)
		app.Instances()[0].Backend.SetFailing(true) // up, but answering UNAVAILABLE
		DeferCleanup(func() { app.Instances()[0].Backend.SetFailing(false) })

		By("failing about half the calls without a retry policy")
		counts, _ := proxyless.Split(ctx, conn, 200)
		Expect(counts[""]).To(BeNumerically(">", 20), "calls to the failing instance fail: %v", counts)
		report.Measure("failed calls without retries", "%d of 200", counts[""])

		By("annotating the route: mesh.cloudfoundry.org/retries=2, retry-on=unavailable")
		annotated := time.Now()
		Expect(foundation.CloudController().SetRouteAnnotations(route.GUID, map[string]string{
			"mesh.cloudfoundry.org/retries":  "2",
			"mesh.cloudfoundry.org/retry-on": "unavailable",
		})).To(Succeed())
		Eventually(ctx, func() int {
			counts, _ = proxyless.Split(ctx, conn, 200)
			return counts[""]
		}).WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(BeZero(), "no call fails once retried")
		report.Measure("annotation to no failed call", "%s", seconds(time.Since(annotated)))

		counts, _ = proxyless.Split(ctx, conn, 500)
		Expect(counts[""]).To(BeZero(), "%v", counts)
		Expect(counts).To(HaveKeyWithValue(app.Instances()[1].ID, 500), "the healthy instance answers every call")
		report.Measure("failed calls with retries", "%d of 500", counts[""])
	}, SpecTimeout(2*time.Minute))
})
