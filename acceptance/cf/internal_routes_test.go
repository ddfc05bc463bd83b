package cf_test

import (
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
)

var _ = Describe("Internal routes", func() {
	It("reach an app from another app a network policy allows, not once the policy is removed, and not through the gateway", func(ctx SpecContext) {
		front, internalHost := name("front"), name("internal")
		frontURL, internalURL := front+"."+cfg.AppsDomain, internalHost+"."+cfg.InternalDomain
		proxyPath := "/proxy/" + internalURL + ":8080/"
		policy := []string{hello, hola, "--port", "8080", "--protocol", "tcp"}
		g := newGateway()
		cf(ctx, "map-route", hello, cfg.AppsDomain, "--hostname", front)
		cf(ctx, "map-route", hola, cfg.InternalDomain, "--hostname", internalHost)
		cf(ctx, append([]string{"add-network-policy"}, policy...)...)

		took := eventuallyAnswers(ctx, g, frontURL, proxyPath, http.StatusOK, hola)
		report.Measure("map to reachable from an app", "%s", seconds(took))

		a, err := g.get(ctx, internalURL, "/")
		Expect(err).NotTo(HaveOccurred())
		Expect(a.status).To(Equal(http.StatusNotFound), "the gateway does not serve %s: %s", internalURL, a.body)

		// With enable-app-mtls the callee's proxy answers 403; without it,
		// cf-networking's own enforcement refuses the connection.
		removed := time.Now()
		cf(ctx, append([]string{"remove-network-policy"}, policy...)...)
		Eventually(ctx, func(gm Gomega) {
			a, err := g.get(ctx, frontURL, proxyPath)
			gm.Expect(err).NotTo(HaveOccurred())
			gm.Expect(a.status).NotTo(Equal(http.StatusOK), a.body)
		}).WithTimeout(cfg.ConvergenceTimeout.Std()).WithPolling(time.Second).Should(Succeed(), "%s is denied once the policy is removed", hello)
		report.Measure("policy removed to denied", "%s", seconds(time.Since(removed)))
	})
})
