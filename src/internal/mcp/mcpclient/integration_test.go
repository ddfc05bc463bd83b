package mcpclient_test

import (
	"net"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/internal/mcptest"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpclient"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver/mcpservertest"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// copilot is a real mcpserver on a fixed loopback address, so a test can
// stop it and bring it back where the client expects it.
type copilot struct {
	addr   string
	server *mcpserver.Server
	grpc   *mcpservertest.Server
}

func startCopilot(addr string, cfg *mesh.Config, opts ...grpc.ServerOption) *copilot {
	server := mcpserver.New(lagertest.NewTestLogger("copilot"), nil)
	if cfg != nil {
		server.Publish(*cfg)
	}
	srv, err := mcpservertest.Serve(addr, server.Register, opts...)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(srv.Stop)
	return &copilot{addr: srv.Addr, server: server, grpc: srv}
}

// freeAddress returns a loopback address nothing listens on.
func freeAddress() string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := lis.Addr().String()
	Expect(lis.Close()).To(Succeed())
	return addr
}

var _ = Describe("Client against the copilot's MCP server, State of the World", func() {
	describeAgainstCopilot(mcpclient.TransportSotW)
})

var _ = Describe("Client against the copilot's MCP server, Delta", func() {
	describeAgainstCopilot(mcpclient.TransportDelta)
})

// describeAgainstCopilot holds the specs both transports must pass against
// a real copilot MCP server; where they differ (what a reconnect re-sends),
// the spec says so.
func describeAgainstCopilot(transport string) {
	var (
		logger   *lagertest.TestLogger
		registry *prometheus.Registry
		world    mesh.Config
	)

	metric := func(name string, labels map[string]string) float64 {
		return mcpservertest.MetricValue(registry, name, labels)
	}
	acks := func(collection string) float64 {
		return metric("cfmesh_pilot_mcp_responses_total", map[string]string{"collection": collection, "result": "ack"})
	}
	config := func(addresses ...string) mcpclient.Config {
		return mcpclient.Config{Addresses: addresses, NodeID: nodeID, Transport: transport}
	}

	BeforeEach(func() {
		logger = lagertest.NewTestLogger("test")
		registry = prometheus.NewRegistry()
		world = mcptest.World(70, "a.example.com", "b.example.com")
	})

	It("syncs once the copilot publishes, then receives only the collections that changed", func() {
		cp := startCopilot("127.0.0.1:0", nil)
		rec := startClient(config(cp.addr), insecureCreds, logger, registry)
		Eventually(func() float64 { return metric("cfmesh_pilot_mcp_connected", nil) }, "5s").To(Equal(1.0))
		Expect(rec.count()).To(BeZero())

		cp.server.Publish(world)
		Eventually(rec.count, "5s").Should(Equal(1))
		expectSameWorld(rec.last(), world)

		changed := mcptest.World(30, "a.example.com", "b.example.com")
		cp.server.Publish(changed)
		Eventually(rec.count, "5s").Should(Equal(2)) // only the VirtualServices changed
		expectSameWorld(rec.last(), changed)
		Eventually(func() float64 { return acks(vsV1) }, "5s").Should(Equal(2.0))
		Expect(acks(gwV1)).To(Equal(1.0))
		Expect(acks(drV1)).To(Equal(1.0))
		Expect(acks(seV1)).To(Equal(1.0))
	})

	It("serves requests under the version it is configured with", func() {
		cp := startCopilot("127.0.0.1:0", &world)
		cfg := config(cp.addr)
		cfg.Version = "v1alpha3"
		rec := startClient(cfg, insecureCreds, logger, registry)
		Eventually(rec.count, "5s").Should(Equal(1))
		Eventually(func() float64 { return acks("networking.istio.io/v1alpha3/Gateway") }, "5s").Should(Equal(1.0))
	})

	It("keeps the last good state while the copilot is away and resyncs when it returns", func() {
		cp := startCopilot("127.0.0.1:0", &world)
		rec := startClient(config(cp.addr), insecureCreds, logger, registry)
		Eventually(rec.count, "5s").Should(Equal(1))
		for _, c := range []string{gwV1, vsV1, drV1, seV1} {
			Eventually(func() float64 { return acks(c) }, "5s").Should(Equal(1.0), c)
		}

		cp.grpc.Stop()
		Eventually(func() float64 { return metric("cfmesh_pilot_mcp_connected", nil) }, "5s").To(BeZero())
		Eventually(logger.LogMessages, "5s").Should(ContainElement("test.mcp-client.mcp-stream-lost"))
		Expect(rec.count()).To(Equal(1))
		expectSameWorld(rec.last(), world)

		cp = startCopilot(cp.addr, &world)
		Eventually(func() float64 { return metric("cfmesh_pilot_mcp_connected", nil) }, "10s").To(Equal(1.0))
		if transport == mcpclient.TransportSotW {
			By("coming back with the same config: everything is re-sent and ACKed, nothing handed on")
			for _, c := range []string{gwV1, vsV1, drV1, seV1} {
				Eventually(func() float64 { return acks(c) }, "10s").Should(Equal(2.0), c)
			}
		} else {
			By("coming back with the same config: nothing is re-sent, nothing handed on")
			Consistently(func() float64 {
				return metric("cfmesh_pilot_mcp_resources_received_total", map[string]string{"collection": seV1, "transport": transport})
			}, "500ms").Should(Equal(2.0))
			Expect(acks(seV1)).To(Equal(1.0))
		}
		Expect(rec.count()).To(Equal(1))

		By("coming back with a changed config: the change is handed on")
		cp.grpc.Stop()
		changed := mcptest.World(10, "a.example.com", "c.example.com")
		startCopilot(cp.addr, &changed)
		Eventually(func() []string { return objects(rec.last(), mesh.KindServiceEntry) }, "10s").
			Should(Equal(objects(changed, mesh.KindServiceEntry)))
		expectSameWorld(rec.last(), changed)
	})

	It("keeps dialing until a copilot answers, trying every address in turn", func() {
		dead, later := freeAddress(), freeAddress()
		rec := startClient(config(dead, later), insecureCreds, logger, registry)
		Eventually(logger.LogMessages, "5s").Should(ContainElement("test.mcp-client.mcp-stream-lost"))
		Expect(rec.count()).To(BeZero())

		startCopilot(later, &world)
		Eventually(rec.count, "10s").Should(Equal(1))
		expectSameWorld(rec.last(), world)
	})

	It("says a response was over max_receive_message_bytes, and keeps what it had", func() {
		big := mcptest.Foundation(20, 10) // ServiceEntries ≈ 20 KiB
		cp := startCopilot("127.0.0.1:0", &big)
		cfg := config(cp.addr)
		cfg.MaxReceiveMessageBytes = 8192
		rec := startClient(cfg, insecureCreds, logger, registry)
		Eventually(logger.LogMessages, "5s").Should(ContainElement("test.mcp-client.mcp-message-too-large"))
		Expect(rec.count()).To(BeZero())
		tooLarge := findLog(logger, "mcp-message-too-large")
		Expect(tooLarge.Data).To(HaveKeyWithValue("max-receive-message-bytes", BeNumerically("==", 8192)))
		Expect(tooLarge.Data).To(HaveKeyWithValue("error", ContainSubstring("larger than max")))
	})

	Context("with mutual TLS", func() {
		var (
			pki *mcpservertest.PKI
			cp  *copilot
		)

		BeforeEach(func() {
			var err error
			pki, err = mcpservertest.NewPKI()
			Expect(err).NotTo(HaveOccurred())
			cp = startCopilot("127.0.0.1:0", &world, grpc.Creds(pki.ServerCredentials()))
		})

		It("syncs with a client certificate from the CA", func() {
			rec := startClient(config(cp.addr), grpc.WithTransportCredentials(pki.ClientCredentials()), logger, registry)
			Eventually(rec.count, "5s").Should(Equal(1))
			expectSameWorld(rec.last(), world)
		})

		It("gets nothing without a client certificate", func() {
			rec := startClient(config(cp.addr), grpc.WithTransportCredentials(pki.ClientCredentialsWithoutCertificate()), logger, registry)
			Eventually(logger.LogMessages, "5s").Should(ContainElement("test.mcp-client.mcp-stream-lost"))
			Expect(rec.count()).To(BeZero())
			Expect(acks(gwV1)).To(BeZero())
		})
	})
}

var _ = Describe("Client over Delta, incrementally, against the copilot's MCP server", func() {
	var (
		logger   *lagertest.TestLogger
		registry *prometheus.Registry
		world    mesh.Config
	)

	received := func(collection string) float64 {
		return mcpservertest.MetricValue(registry, "cfmesh_pilot_mcp_resources_received_total",
			map[string]string{"collection": collection, "transport": "delta"})
	}

	BeforeEach(func() {
		logger = lagertest.NewTestLogger("test")
		registry = prometheus.NewRegistry()
		world = mcptest.Foundation(50, 10)
	})

	It("receives one object when one endpoint moves, and hands on the whole changed world", func() {
		cp := startCopilot("127.0.0.1:0", &world)
		rec := startClient(mcpclient.Config{Addresses: []string{cp.addr}, NodeID: nodeID}, insecureCreds, logger, registry)
		Eventually(rec.count, "5s").Should(Equal(1))
		Expect(received(seV1)).To(Equal(50.0))

		changed := mcptest.WithReplaced(world, mcptest.FoundationServiceEntry(42, 10, 7))
		cp.server.Publish(changed)
		Eventually(rec.count, "5s").Should(Equal(2))
		Expect(received(seV1)).To(Equal(51.0))
		expectSameWorld(rec.last(), changed)
	})

	It("receives only the difference from a copilot whose content changed while it was away", func() {
		cp := startCopilot("127.0.0.1:0", &world)
		rec := startClient(mcpclient.Config{Addresses: []string{cp.addr}, NodeID: nodeID}, insecureCreds, logger, registry)
		Eventually(rec.count, "5s").Should(Equal(1))
		cp.grpc.Stop()

		gone := world.Of(mesh.KindVirtualService)[9].Key()
		changed := mcptest.Without(mcptest.WithReplaced(world,
			mcptest.FoundationServiceEntry(1, 10, 1), mcptest.FoundationServiceEntry(2, 10, 2)), mesh.KindVirtualService, gone)
		startCopilot(cp.addr, &changed)
		Eventually(func() []string { return objects(rec.last(), mesh.KindVirtualService) }, "10s").
			Should(Equal(objects(changed, mesh.KindVirtualService)))
		Eventually(func() []string { return objects(rec.last(), mesh.KindServiceEntry) }, "10s").
			Should(Equal(objects(changed, mesh.KindServiceEntry)))
		Expect(received(seV1)).To(Equal(52.0))
		Expect(received(vsV1)).To(Equal(50.0))
		Expect(received(drV1)).To(Equal(50.0))
	})

	It("notices a copilot that stopped answering through its keepalive, and fails over", func() {
		cp := startCopilot("127.0.0.1:0", &world)
		proxy, err := mcpservertest.NewProxy(cp.addr)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(proxy.Close)
		changed := mcptest.WithReplaced(world, mcptest.FoundationServiceEntry(3, 10, 3))
		peer := startCopilot("127.0.0.1:0", &changed)

		cfg := mcpclient.Config{Addresses: []string{proxy.Addr, peer.addr}, NodeID: nodeID,
			KeepaliveTime: jsonduration.Duration(10 * time.Second), KeepaliveTimeout: jsonduration.Duration(time.Second)}
		rec := startClient(cfg, insecureCreds, logger, registry)
		Eventually(rec.count, "5s").Should(Equal(1))
		expectSameWorld(rec.last(), world)

		proxy.Freeze()
		By("waiting out one keepalive interval (gRPC's minimum is 10 s) and its 1 s timeout")
		Eventually(rec.count, "20s", "200ms").Should(Equal(2))
		expectSameWorld(rec.last(), changed)
		Expect(received(seV1)).To(Equal(51.0), "the peer sent only the difference")
	})
})
