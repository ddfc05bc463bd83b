package mcpclient_test

import (
	"code.cloudfoundry.org/lager/v3/lagertest"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"code.cloudfoundry.org/cf-mesh/internal/mcp/internal/mcptest"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpclient"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver/mcpservertest"
)

// sotwOnlyCopilot is a copilot from before incremental MCP: it serves
// State of the World and answers Delta with Unimplemented.
type sotwOnlyCopilot struct {
	*mcpserver.Server
}

func (sotwOnlyCopilot) DeltaAggregatedResources(grpc.BidiStreamingServer[discoveryv3.DeltaDiscoveryRequest, discoveryv3.DeltaDiscoveryResponse]) error {
	return status.Error(codes.Unimplemented, "this copilot serves MCP over State-of-the-World ADS only")
}

var _ = Describe("Version skew", func() {
	It("syncs a Delta pilot with a copilot that speaks State of the World only", func() {
		world := mcptest.World(80, "a.example.com")
		old := sotwOnlyCopilot{mcpserver.New(lagertest.NewTestLogger("old-copilot"), nil)}
		old.Publish(world)
		srv, err := mcpservertest.Serve("127.0.0.1:0", func(g *grpc.Server) {
			discoveryv3.RegisterAggregatedDiscoveryServiceServer(g, old)
		})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Stop)

		registry := prometheus.NewRegistry()
		logger := lagertest.NewTestLogger("pilot")
		rec := startClient(mcpclient.Config{Addresses: []string{srv.Addr}, NodeID: nodeID, Transport: mcpclient.TransportDelta},
			insecureCreds, logger, registry)
		Eventually(rec.count, "10s").Should(Equal(1))
		expectSameWorld(rec.last(), world)
		Expect(logger.LogMessages()).To(ContainElement("pilot.mcp-client.copilot-speaks-sotw-only"))
		Expect(mcpservertest.MetricValue(registry, "cfmesh_pilot_mcp_sotw_fallbacks_total", nil)).To(Equal(1.0))

		By("following the old copilot's changes over State of the World")
		changed := mcptest.World(20, "a.example.com")
		old.Publish(changed)
		Eventually(rec.count, "10s").Should(Equal(2))
		expectSameWorld(rec.last(), changed)
	})
})
