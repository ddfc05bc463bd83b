package cf_test

import (
	. "github.com/onsi/ginkgo/v2"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
)

var _ = Describe("Context paths", func() {
	It("routes a context path to its app and the rest of the host to another: /path and /path/..., not /pathx", func(ctx SpecContext) {
		host := name("paths")
		routeURL := host + "." + cfg.AppsDomain
		g := newGateway()
		cf(ctx, "map-route", hello, cfg.AppsDomain, "--hostname", host)
		cf(ctx, "map-route", hola, cfg.AppsDomain, "--hostname", host, "--path", "/hola")
		took := eventuallyAnswers(ctx, g, routeURL, "/hola", 200, hola)
		report.Measure("map to path routed", "%s", seconds(took))
		for path, app := range map[string]string{"/": hello, "/hola/x": hola, "/holax": hello, "/other": hello} {
			eventuallyAnswers(ctx, g, routeURL, path, 200, app)
		}
	})
})
