package cf_test

import (
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
)

var _ = Describe("HTTPS with the operator's certificate", func() {
	It("terminates HTTPS for an app route with the certificate for the apps domain, chosen by SNI", func(ctx SpecContext) {
		host := name("https")
		routeURL := host + "." + cfg.AppsDomain
		g := newGateway()
		cf(ctx, "map-route", hello, cfg.AppsDomain, "--hostname", host)
		var a answer
		Eventually(ctx, func(gm Gomega) {
			var err error
			a, err = g.getHTTPS(ctx, routeURL, "/")
			gm.Expect(err).NotTo(HaveOccurred())
			gm.Expect(a.status).To(Equal(http.StatusOK), a.body)
		}).WithTimeout(cfg.ConvergenceTimeout.Std()).WithPolling(time.Second).Should(Succeed())
		Expect(appOf(a)).To(Equal(hello))
		Expect(a.serverNames).To(ContainElement(SatisfyAny(Equal(routeURL), Equal("*."+cfg.AppsDomain))),
			"the certificate names the route's host")
		report.Measure("certificate names", "%s", strings.Join(a.serverNames, ","))
	})
})
