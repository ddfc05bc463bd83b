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

var _ = Describe("Unmapped route", Ordered, func() {
	var (
		app   *testbed.App
		route testbed.Route
	)

	BeforeAll(func() {
		app = push("orders", 2)
		route = routeTo(false, "", app)
	})

	It("stops routing once the route is unmapped: clients find no route, gateways no virtual host", func(ctx SpecContext) {
		conn := dial(route.Host)
		answering(ctx, conn)

		unmapped := time.Now()
		Expect(foundation.UnmapRoute(ctx, route, app)).To(Succeed())
		Eventually(ctx, func() error { _, err := backend.Call(ctx, conn); return err }).
			WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(HaveOccurred(), "calls stop reaching the app")
		report.Measure("unmap to no route", "%s", seconds(time.Since(unmapped)))
		_, err := backend.Call(ctx, conn)
		Expect(codeOf(err)).To(Equal(codes.Unavailable), "%v", err)
		report.Measure("call status", "%s", codeOf(err))

		Eventually(ctx, func() []string {
			_, domains := served(ctx, gatewayNode())
			return domains
		}).WithTimeout(convergeTimeout).WithPolling(pollInterval).ShouldNot(ContainElement(route.Host))
	}, SpecTimeout(time.Minute))

	It("answers 404 for it through a real Envoy gateway", func(ctx SpecContext) {
		gw := skipWithoutGateway()
		Eventually(ctx, func() (int, error) {
			a, err := gw.Get(ctx, route.Host, "/")
			return a.Status, err
		}).WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(Equal(http.StatusNotFound))
	}, SpecTimeout(time.Minute))
})
