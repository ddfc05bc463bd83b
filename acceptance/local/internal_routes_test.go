package local_test

import (
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

var _ = Describe("Internal routes", Ordered, func() {
	var (
		app                *testbed.App
		internal, external testbed.Route
	)

	BeforeAll(func() {
		app = push("inventory", 2)
		internal = routeTo(true, "", app)
		external = routeTo(false, "", app) // what the gateway does serve
	})

	It("serves an internal route to mesh clients, registered by service discovery on the container port", func(ctx SpecContext) {
		conn := dial(internal.Host)
		started := time.Now()
		answering(ctx, conn)
		report.Measure("map to first call", "%s", seconds(time.Since(started)))
		seen := map[string]int{}
		for range 200 {
			id, err := backend.Call(ctx, conn)
			Expect(err).NotTo(HaveOccurred())
			seen[id]++
		}
		Expect(seen).To(HaveLen(2), "both instances answer")
		for id := range seen {
			Expect(id).To(HavePrefix(app.Name + "/"))
		}
		report.Measure("calls by instance", "%v", seen)
	}, SpecTimeout(time.Minute))

	It("leaves the internal route out of the gateway's configuration", func(ctx SpecContext) {
		meshListeners, meshDomains := served(ctx, meshNode(), internal.Host)
		Expect(meshListeners).To(ConsistOf(internal.Host), "mesh clients get a listener for it")
		Expect(meshDomains).To(ContainElement(internal.Host), "and a virtual host")
		var domains []string
		Eventually(ctx, func() []string {
			_, domains = served(ctx, gatewayNode())
			return domains
		}).WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(ContainElement(external.Host), "the gateway serves the app's external route")
		for _, d := range domains {
			Expect(d).NotTo(HaveSuffix("."+foundation.InternalDomain()), "gateway virtual host domains")
			Expect(strings.TrimSuffix(d, ":*")).NotTo(Equal(internal.Host))
		}
		report.Measure("gateway virtual host domains", "%d, none on %s", len(domains), foundation.InternalDomain())
	}, SpecTimeout(time.Minute))

	It("answers 404 for the internal route's host through a real Envoy gateway", func(ctx SpecContext) {
		gw := skipWithoutGateway()
		a, err := gw.Get(ctx, internal.Host, "/")
		Expect(err).NotTo(HaveOccurred())
		Expect(a.Status).To(Equal(http.StatusNotFound), a.Body)
	}, SpecTimeout(time.Minute))
})
