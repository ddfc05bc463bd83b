package local_test

import (
	"net/http"
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/adsprobe"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

var _ = Describe("HTTPS with the operator's certificate", Ordered, func() {
	var (
		app   *testbed.App
		route testbed.Route
	)

	BeforeAll(func() {
		app = push("storefront", 1)
		route = routeTo(false, "", app)
	})

	It("gives gateways an HTTPS listener presenting the operator's certificate, chosen by SNI, for the apps domain", func(ctx SpecContext) {
		name := testbed.GatewayListenerName(foundation.GatewayHTTPSPort())
		var chains []*listenerv3.FilterChain
		Eventually(ctx, func(g Gomega) {
			probe, err := adsprobe.Dial(ctx, foundation.XDSAddress(), gatewayNode())
			g.Expect(err).NotTo(HaveOccurred())
			defer probe.Close()
			listeners, err := probe.Fetch(resourcev3.ListenerType)
			g.Expect(err).NotTo(HaveOccurred())
			chains = nil
			for _, m := range listeners {
				if l := m.(*listenerv3.Listener); l.GetName() == name {
					chains = l.GetFilterChains()
				}
			}
			g.Expect(chains).To(HaveLen(1), "one HTTPS server: the operator's certificate")
		}).WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(Succeed())

		chain := chains[0]
		Expect(chain.GetFilterChainMatch().GetServerNames()).To(ConsistOf("*." + foundation.AppsDomain()))
		tlsContext := &tlsv3.DownstreamTlsContext{}
		Expect(chain.GetTransportSocket().GetTypedConfig().UnmarshalTo(tlsContext)).To(Succeed())
		secrets := tlsContext.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs()
		Expect(secrets).To(HaveLen(1))
		Expect(secrets[0].GetName()).To(Equal(testbed.FrontendCertificateName))
		Expect(secrets[0].GetSdsConfig().GetPathConfigSource().GetPath()).To(BeAnExistingFile(), "the gateway job's SDS file for it")
		Expect(tlsContext.GetCommonTlsContext().GetTlsParams().GetTlsMinimumProtocolVersion()).To(Equal(tlsv3.TlsParameters_TLSv1_2))

		Eventually(ctx, func() []string {
			_, domains := served(ctx, gatewayNode())
			return domains
		}).WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(ContainElement(route.Host), "the gateway serves the route")
		report.Measure("HTTPS listener", "%s, SNI %v, secret %s", name, chain.GetFilterChainMatch().GetServerNames(), secrets[0].GetName())
	}, SpecTimeout(time.Minute))

	It("terminates HTTPS with it through a real Envoy gateway", func(ctx SpecContext) {
		gw := skipWithoutGateway()
		var a testbed.Answer
		Eventually(ctx, func(g Gomega) {
			var err error
			a, err = gw.GetHTTPS(ctx, route.Host, "/")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(a.Status).To(Equal(http.StatusOK), a.Body)
		}).WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(Succeed())
		Expect(a.Body).To(HavePrefix(app.Name + "/"))
		Expect(a.ServerNames).To(ContainElement("*." + foundation.AppsDomain()))
	}, SpecTimeout(time.Minute))
})
