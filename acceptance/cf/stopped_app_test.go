package cf_test

import (
	"net/http"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
)

var _ = Describe("Stopped app", func() {
	It("answers 503 once the app is stopped", func(ctx SpecContext) {
		app, host := name("stoppable"), name("stopped")
		routeURL := host + "." + cfg.AppsDomain
		g := newGateway()
		pushApp(ctx, app, filepath.Join(suiteDir, "meshapp"))
		cf(ctx, "map-route", app, cfg.AppsDomain, "--hostname", host)
		eventuallyAnswers(ctx, g, routeURL, "/", http.StatusOK, app)
		cf(ctx, "stop", app)
		report.Measure("stop to 503", "%s", seconds(eventuallyAnswers(ctx, g, routeURL, "/", http.StatusServiceUnavailable, "")))
	})
})
