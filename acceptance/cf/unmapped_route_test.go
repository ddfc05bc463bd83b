package cf_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
)

var _ = Describe("Unmapped route", func() {
	It("answers 404 once the route is unmapped", func(ctx SpecContext) {
		host := name("unmapped")
		routeURL := host + "." + cfg.AppsDomain
		g := newGateway()
		cf(ctx, "map-route", hello, cfg.AppsDomain, "--hostname", host)
		eventuallyAnswers(ctx, g, routeURL, "/", http.StatusOK, hello)
		cf(ctx, "unmap-route", hello, cfg.AppsDomain, "--hostname", host)
		report.Measure("unmap to 404", "%s", seconds(eventuallyAnswers(ctx, g, routeURL, "/", http.StatusNotFound, "")))
	})
})
