package local_test

import (
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc/codes"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

var _ = Describe("Stopped app", Ordered, func() {
	var (
		app   *testbed.App
		route testbed.Route
	)

	BeforeAll(func() {
		app = push("billing", 2)
		route = routeTo(false, "", app)
	})

	It("answers UNAVAILABLE once the app is stopped", func(ctx SpecContext) {
		conn := dial(route.Host)
		answering(ctx, conn)

		By("stopping the app through the Cloud Controller API (cf stop), its instances still registered and running")
		client, err := foundation.CFClient()
		Expect(err).NotTo(HaveOccurred())
		stopped := time.Now()
		_, err = client.Applications.Stop(ctx, app.GUID)
		Expect(err).NotTo(HaveOccurred())
		Eventually(ctx, func() codes.Code { _, err := backend.Call(ctx, conn); return codeOf(err) }).
			WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(Equal(codes.Unavailable), "Cloud Controller's state decides, not lingering registrations")
		report.Measure("cf stop to UNAVAILABLE", "%s", seconds(time.Since(stopped)))

		By("Diego stopping the instances: route-emitter unregisters them")
		foundation.StopInstances(app)
		Consistently(ctx, func() codes.Code { _, err := backend.Call(ctx, conn); return codeOf(err) }).
			WithTimeout(2*time.Second).WithPolling(pollInterval).Should(Equal(codes.Unavailable), "it stays unavailable")
	}, SpecTimeout(time.Minute))

	It("answers 503 through a real Envoy gateway", func(ctx SpecContext) {
		gw := skipWithoutGateway()
		Eventually(ctx, func() (int, error) {
			a, err := gw.Get(ctx, route.Host, "/")
			return a.Status, err
		}).WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(Equal(http.StatusServiceUnavailable))
	}, SpecTimeout(time.Minute))
})
