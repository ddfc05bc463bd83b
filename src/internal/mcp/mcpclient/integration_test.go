package mcpclient_test

import (
	"net"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

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

var _ = Describe("Client against the copilot's MCP server", func() {
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

	BeforeEach(func() {
		logger = lagertest.NewTestLogger("test")
		registry = prometheus.NewRegistry()
		world = mcptest.World(70, "a.example.com", "b.example.com")
	})

	It("syncs once the copilot publishes, then receives only the collections that changed", func() {
		cp := startCopilot("127.0.0.1:0", nil)
		rec := startClient(mcpclient.Config{Addresses: []string{cp.addr}, NodeID: nodeID}, insecureCreds, logger, registry)
		Eventually(func() float64 { return metric("cfmesh_pilot_mcp_connected", nil) }, "5s").To(Equal(1.0))
		Expect(rec.count()).To(BeZero())

		cp.server.Publish(world)
		Eventually(rec.count, "5s").Should(Equal(1))
		expectSameWorld(rec.last(), world)

		changed := mcptest.World(30, "a.example.com", "b.example.com")
		cp.server.Publish(changed)
		Eventually(rec.count, "5s").Should(Equal(2)) // only the VirtualServices changed
		expectSameWorld(rec.last(), changed)
		Expect(acks(vsV1)).To(Equal(2.0))
		Expect(acks(gwV1)).To(Equal(1.0))
		Expect(acks(drV1)).To(Equal(1.0))
		Expect(acks(seV1)).To(Equal(1.0))
	})

	It("serves requests under the version it is configured with", func() {
		cp := startCopilot("127.0.0.1:0", &world)
		rec := startClient(mcpclient.Config{Addresses: []string{cp.addr}, NodeID: nodeID, Version: "v1alpha3"}, insecureCreds, logger, registry)
		Eventually(rec.count, "5s").Should(Equal(1))
		Expect(acks("networking.istio.io/v1alpha3/Gateway")).To(Equal(1.0))
	})

	It("keeps the last good state while the copilot is away and resyncs when it returns", func() {
		cp := startCopilot("127.0.0.1:0", &world)
		rec := startClient(mcpclient.Config{Addresses: []string{cp.addr}, NodeID: nodeID}, insecureCreds, logger, registry)
		Eventually(rec.count, "5s").Should(Equal(1))

		cp.grpc.Stop()
		Eventually(func() float64 { return metric("cfmesh_pilot_mcp_connected", nil) }, "5s").To(BeZero())
		Eventually(logger.LogMessages, "5s").Should(ContainElement("test.mcp-client.mcp-stream-lost"))
		Expect(rec.count()).To(Equal(1))
		expectSameWorld(rec.last(), world)

		By("coming back with the same config: everything is re-sent and ACKed, nothing handed on")
		cp = startCopilot(cp.addr, &world)
		for _, c := range []string{gwV1, vsV1, drV1, seV1} {
			Eventually(func() float64 { return acks(c) }, "10s").Should(Equal(2.0), c)
		}
		Expect(rec.count()).To(Equal(1))
		Expect(metric("cfmesh_pilot_mcp_connected", nil)).To(Equal(1.0))

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
		rec := startClient(mcpclient.Config{Addresses: []string{dead, later}, NodeID: nodeID}, insecureCreds, logger, registry)
		Eventually(logger.LogMessages, "5s").Should(ContainElement("test.mcp-client.mcp-stream-lost"))
		Expect(rec.count()).To(BeZero())

		startCopilot(later, &world)
		Eventually(rec.count, "10s").Should(Equal(1))
		expectSameWorld(rec.last(), world)
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
			rec := startClient(mcpclient.Config{Addresses: []string{cp.addr}, NodeID: nodeID},
				grpc.WithTransportCredentials(pki.ClientCredentials()), logger, registry)
			Eventually(rec.count, "5s").Should(Equal(1))
			expectSameWorld(rec.last(), world)
		})

		It("gets nothing without a client certificate", func() {
			rec := startClient(mcpclient.Config{Addresses: []string{cp.addr}, NodeID: nodeID},
				grpc.WithTransportCredentials(pki.ClientCredentialsWithoutCertificate()), logger, registry)
			Eventually(logger.LogMessages, "5s").Should(ContainElement("test.mcp-client.mcp-stream-lost"))
			Expect(rec.count()).To(BeZero())
			Expect(acks(gwV1)).To(BeZero())
		})
	})
})
