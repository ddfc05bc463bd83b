package pilot_test

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/copilot"
	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/proxyless"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/routeemitter"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpclient"
	"code.cloudfoundry.org/cf-mesh/internal/pilot"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/loopback"
)

var _ = Describe("Pilot", func() {
	It("keeps serving its last configuration while the copilot is away", func() {
		natsURL := loopback.StartNATS()
		b, err := backend.Start("shop-0", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(b.Stop)
		emitter := routeemitter.New(natsURL, lagertest.NewTestLogger("emitter"), routeemitter.Options{})
		loopback.Run(emitter.Run)
		emitter.Register(routeemitter.NewAppInstanceMessage(routeemitter.AppInstance{
			CellIP: "127.0.0.1", HostPort: b.Port(), AppGUID: "app-shop", ProcessGUID: "proc-shop", InstanceGUID: "inst-0",
		}, "shop.apps.example.com"))
		routesPath := filepath.Join(GinkgoT().TempDir(), "routes.yaml")
		Expect(os.WriteFile(routesPath, []byte("routes:\n- host: shop.apps.example.com\n  destinations:\n  - {app_guid: app-shop, process_guid: proc-shop}\n"), 0o644)).To(Succeed())

		mcpAddress := loopback.FreeAddress()
		copilotConfig := copilot.Config{
			RoutesFile: &copilot.RoutesFileConfig{Path: routesPath, PollInterval: jsonduration.Duration(100 * time.Millisecond)},
			NATS: natssubscriber.Config{Servers: []string{natsURL},
				MinimumRegisterInterval: jsonduration.Duration(time.Second), PruneThreshold: jsonduration.Duration(5 * time.Second)},
			MCP:           copilot.MCPConfig{ListenAddress: mcpAddress},
			ProcessConfig: lifecycle.ProcessConfig{StatusAddress: loopback.FreeAddress()},
		}.WithDefaults()
		cop, err := copilot.New(copilotConfig, lagertest.NewTestLogger("copilot"), prometheus.NewRegistry())
		Expect(err).NotTo(HaveOccurred())
		stopCopilot := loopback.Run(cop.Run)

		pilotConfig := pilot.Config{
			Copilot:       mcpclient.Config{Addresses: []string{mcpAddress}},
			XDS:           pilot.XDSConfig{ListenAddress: loopback.FreeAddress()},
			ProcessConfig: lifecycle.ProcessConfig{StatusAddress: loopback.FreeAddress()},
		}.WithDefaults()
		Expect(pilotConfig.Validate()).To(Succeed())
		p, err := pilot.New(pilotConfig, lagertest.NewTestLogger("pilot"), prometheus.NewRegistry())
		Expect(err).NotTo(HaveOccurred())
		loopback.Run(p.Run)
		Eventually(p.Ready(), 30*time.Second).Should(BeClosed())

		conn, err := proxyless.Dial(pilotConfig.XDS.ListenAddress, "client", "shop.apps.example.com")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(conn.Close)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		Expect(backend.Call(ctx, conn)).To(Equal("shop-0"))

		By("stopping the copilot")
		stopCopilot()
		Consistently(func() (string, error) { return backend.Call(ctx, conn) }, 2*time.Second, 100*time.Millisecond).Should(Equal("shop-0"))

		By("serving a client that connects while the copilot is still away")
		late, err := proxyless.Dial(pilotConfig.XDS.ListenAddress, "late-client", "shop.apps.example.com")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(late.Close)
		Expect(backend.Call(ctx, late)).To(Equal("shop-0"))
	})
})
