package copilot_test

import (
	"net/http"
	"os"
	"path/filepath"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/copilot"
	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/routeemitter"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpclient"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/loopback"
)

const routes = `routes:
- host: shop.apps.example.com
  destinations:
  - {app_guid: app-shop, process_guid: proc-shop}
`

var _ = Describe("Copilot", func() {
	It("publishes nothing until the route source and NATS have both synced, then the joined config", func() {
		natsURL := loopback.StartNATS()
		emitter := routeemitter.New(natsURL, lagertest.NewTestLogger("emitter"), routeemitter.Options{})
		loopback.Run(emitter.Run)
		emitter.Register(routeemitter.NewAppInstanceMessage(routeemitter.AppInstance{
			CellIP: "10.0.16.4", HostPort: 61012, AppGUID: "app-shop", ProcessGUID: "proc-shop", InstanceGUID: "inst-1",
		}, "shop.apps.example.com"))

		routesPath := filepath.Join(GinkgoT().TempDir(), "routes.yaml")
		mcpAddress, statusAddress := loopback.FreeAddress(), loopback.FreeAddress()
		cfg := copilot.Config{
			RoutesFile: &copilot.RoutesFileConfig{Path: routesPath, PollInterval: jsonduration.Duration(100 * time.Millisecond)},
			NATS: natssubscriber.Config{Servers: []string{natsURL},
				MinimumRegisterInterval: jsonduration.Duration(time.Second), PruneThreshold: jsonduration.Duration(5 * time.Second)},
			MCP:           copilot.MCPConfig{ListenAddress: mcpAddress},
			ProcessConfig: lifecycle.ProcessConfig{StatusAddress: statusAddress},
		}.WithDefaults()
		Expect(cfg.Validate()).To(Succeed())
		registry := prometheus.NewRegistry()
		c, err := copilot.New(cfg, lagertest.NewTestLogger("copilot"), registry)
		Expect(err).NotTo(HaveOccurred())
		loopback.Run(c.Run)

		configs := make(chan mesh.Config, 10)
		observer, err := mcpclient.New(mcpclient.Config{Addresses: []string{mcpAddress}}.WithDefaults(),
			grpc.WithTransportCredentials(insecure.NewCredentials()), lagertest.NewTestLogger("pilot"), prometheus.NewRegistry(),
			func(cfg mesh.Config) { configs <- cfg })
		Expect(err).NotTo(HaveOccurred())
		loopback.Run(observer.Run)

		By("serving nothing while the route file does not exist, even after NATS has synced")
		Consistently(configs, 2500*time.Millisecond).ShouldNot(Receive())
		Expect(readyStatus(statusAddress)).To(Equal(http.StatusServiceUnavailable))

		By("publishing the route joined with its NATS endpoint once the file appears")
		Expect(os.WriteFile(routesPath, []byte(routes), 0o644)).To(Succeed())
		var cfgSeen mesh.Config
		Eventually(configs, 10*time.Second).Should(Receive(&cfgSeen))
		Expect(cfgSeen.Of(mesh.KindVirtualService)).To(HaveLen(1))
		entries := cfgSeen.Of(mesh.KindServiceEntry)
		Expect(entries).To(HaveLen(1))
		se := entries[0].Spec.(*networking.ServiceEntry)
		Expect(se.GetEndpoints()).To(HaveLen(1))
		Expect(se.GetEndpoints()[0].GetAddress()).To(Equal("10.0.16.4"))
		Expect(se.GetEndpoints()[0].GetPorts()).To(HaveKeyWithValue("http-8080", BeEquivalentTo(61012)))
		Eventually(c.Published()).Should(BeClosed())
		Expect(readyStatus(statusAddress)).To(Equal(http.StatusOK))

		By("rebuilding and pushing nothing while route-emitter re-registers the same endpoint every second")
		builds := func() uint64 { return histogramCount(registry, "cfmesh_copilot_build_duration_seconds") }
		pushes := func() float64 { return counterSum(registry, "cfmesh_copilot_mcp_pushes_total") }
		buildsBefore, pushesBefore := builds(), pushes()
		Consistently(builds, 3*time.Second, 100*time.Millisecond).Should(Equal(buildsBefore))
		Expect(pushes()).To(Equal(pushesBefore))
		Expect(configs).NotTo(Receive())

		By("publishing a started instance's ServiceEntry ahead of the full build (ADR 20)")
		emitter.Register(routeemitter.NewAppInstanceMessage(routeemitter.AppInstance{
			CellIP: "10.0.16.5", HostPort: 61013, AppGUID: "app-shop", ProcessGUID: "proc-shop", InstanceGUID: "inst-2",
		}, "shop.apps.example.com"))
		Eventually(configs, 10*time.Second).Should(Receive(&cfgSeen))
		Expect(cfgSeen.Of(mesh.KindServiceEntry)[0].Spec.(*networking.ServiceEntry).GetEndpoints()).To(HaveLen(2))
		Eventually(func() float64 { return counterSum(registry, "cfmesh_copilot_endpoints_first_total") }, 5*time.Second).Should(Equal(1.0))

		By("leaving out the full build, which would publish the same: only an endpoint changed")
		Eventually(func() float64 { return counterSum(registry, "cfmesh_copilot_builds_adopted_total") }, 5*time.Second).Should(Equal(1.0))
		Expect(builds()).To(Equal(buildsBefore))
	})
})

func readyStatus(address string) int {
	resp, err := http.Get("http://" + address + "/readyz")
	Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	return resp.StatusCode
}

func histogramCount(reg *prometheus.Registry, name string) uint64 {
	families, err := reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return 0
}

func counterSum(reg *prometheus.Registry, name string) float64 {
	families, err := reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	total := 0.0
	for _, f := range families {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

var _ = Describe("New", func() {
	It("names a frontend certificate it cannot read", func() {
		cfg := copilot.Config{
			RoutesFile: &copilot.RoutesFileConfig{Path: "/tmp/routes.yaml"},
			NATS:       natssubscriber.Config{Servers: []string{"nats://127.0.0.1:4222"}},
			Mesh:       copilot.MeshConfig{FrontendCertificates: []copilot.FrontendCertificateFile{{Name: "apps", CertFile: "/nonexistent/apps.crt"}}},
		}.WithDefaults()
		Expect(cfg.Validate()).To(Succeed())
		_, err := copilot.New(cfg, lagertest.NewTestLogger("copilot"), prometheus.NewRegistry())
		Expect(err).To(MatchError(ContainSubstring("mesh.frontend_certificates[0]: open /nonexistent/apps.crt")))
	})
})
