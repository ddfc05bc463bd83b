package mcpserver_test

import (
	"encoding/json"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/internal/mcptest"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver/mcpservertest"
)

var _ = Describe("GRPCConfig", func() {
	It("defaults to limits that fit 100k endpoints with headroom, and 30s/10s keepalives", func() {
		c := mcpserver.GRPCConfig{}.WithDefaults()
		Expect(c.MaxSendMessageBytes).To(Equal(64 << 20))
		Expect(c.MaxReceiveMessageBytes).To(Equal(16 << 20))
		Expect(c.KeepaliveTime.Std()).To(Equal(30 * time.Second))
		Expect(c.KeepaliveTimeout.Std()).To(Equal(10 * time.Second))
		Expect(c.KeepaliveMinClientInterval.Std()).To(Equal(10 * time.Second))
		Expect(c.Validate()).To(Succeed())
	})

	It("reads the snake_case JSON the copilot job renders and keeps what is set", func() {
		var c mcpserver.GRPCConfig
		Expect(json.Unmarshal([]byte(`{"max_send_message_bytes":1048576,"max_receive_message_bytes":2048,
			"keepalive_time":"5s","keepalive_timeout":"2s","keepalive_min_client_interval":"1s"}`), &c)).To(Succeed())
		Expect(c.WithDefaults()).To(Equal(mcpserver.GRPCConfig{
			MaxSendMessageBytes: 1 << 20, MaxReceiveMessageBytes: 2048,
			KeepaliveTime: jsonduration.Duration(5 * time.Second), KeepaliveTimeout: jsonduration.Duration(2 * time.Second),
			KeepaliveMinClientInterval: jsonduration.Duration(time.Second),
		}))
	})

	DescribeTable("Validate names the bad field",
		func(c mcpserver.GRPCConfig, message string) {
			Expect(c.Validate()).To(MatchError(ContainSubstring(message)))
		},
		Entry("negative send limit", mcpserver.GRPCConfig{MaxSendMessageBytes: -1}.WithDefaults(), "max_send_message_bytes: -1 is negative"),
		Entry("negative receive limit", mcpserver.GRPCConfig{MaxReceiveMessageBytes: -1}.WithDefaults(), "max_receive_message_bytes"),
		Entry("sub-second ping interval", mcpserver.GRPCConfig{KeepaliveTime: jsonduration.Duration(time.Millisecond)}.WithDefaults(), "keepalive_time: 1ms is below 1s"),
		Entry("no timeout", mcpserver.GRPCConfig{KeepaliveTimeout: jsonduration.Duration(-time.Second)}.WithDefaults(), "keepalive_timeout"),
		Entry("no client interval", mcpserver.GRPCConfig{KeepaliveMinClientInterval: jsonduration.Duration(-time.Second)}.WithDefaults(), "keepalive_min_client_interval"),
	)
})

var _ = Describe("Server transport limits", func() {
	var (
		logger   *lagertest.TestLogger
		registry *prometheus.Registry
	)

	start := func(cfg mcpserver.GRPCConfig) (*mcpserver.Server, *mcpservertest.Server) {
		server := mcpserver.New(logger, registry, mcpserver.WithGRPCConfig(cfg))
		srv, err := mcpservertest.Serve("127.0.0.1:0", server.Register, mcpserver.GRPCServerOptions(cfg)...)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Stop)
		return server, srv
	}

	BeforeEach(func() {
		logger = lagertest.NewTestLogger("test")
		registry = prometheus.NewRegistry()
	})

	It("does not send a response over max_send_message_bytes, says so, and keeps the stream", func() {
		server, srv := start(mcpserver.GRPCConfig{MaxSendMessageBytes: 4096})
		world := mcptest.Foundation(20, 10) // ServiceEntries ≈ 20 KiB, Gateway < 1 KiB
		server.Publish(world)

		sotw := mustDialADS(srv.Addr)
		DeferCleanup(sotw.close)
		sotw.subscribe(seV1, gwV1)
		Expect(sotw.recv().TypeUrl).To(Equal(gwV1))
		delta := mustDialDelta(srv.Addr)
		delta.subscribe(seV1, gwV1)
		Expect(delta.recv().TypeUrl).To(Equal(gwV1))

		tooLarge := findLog(logger, "mcp-response-too-large")
		Expect(tooLarge.Data).To(HaveKeyWithValue("collection", seV1))
		Expect(tooLarge.Data).To(HaveKeyWithValue("max-send-message-bytes", BeNumerically("==", 4096)))
		Expect(tooLarge.Data).To(HaveKeyWithValue("bytes", BeNumerically(">", 4096)))
		Expect(mcpservertest.MetricValue(registry, "cfmesh_copilot_mcp_oversized_responses_total", map[string]string{"collection": seV1})).To(Equal(2.0))

		By("sending the collection once it fits, on the same streams")
		server.Publish(mcptest.Foundation(2, 10))
		Expect(names(delta.recv())).To(HaveLen(2))
		resp := sotw.recv()
		Expect(resp.TypeUrl).To(Equal(seV1))
		Expect(resp.Resources).To(HaveLen(2))
	})

	It("refuses a request over max_receive_message_bytes with a clear gRPC error", func() {
		_, srv := start(mcpserver.GRPCConfig{MaxReceiveMessageBytes: 1024})
		client := mustDialDelta(srv.Addr)
		client.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: seV1, InitialResourceVersions: map[string]string{"cloudfoundry/big": strings.Repeat("v", 2048)}})
		_, err := client.stream.Recv()
		Expect(status.Code(err)).To(Equal(codes.ResourceExhausted))
		Expect(err).To(MatchError(ContainSubstring("larger than max")))
	})

	It("pings a silent client and drops it when the pings go unanswered", func() {
		server, srv := start(mcpserver.GRPCConfig{
			KeepaliveTime: jsonduration.Duration(time.Second), KeepaliveTimeout: jsonduration.Duration(time.Second),
		})
		server.Publish(mcptest.World(50, "a.example.com"))
		proxy, err := mcpservertest.NewProxy(srv.Addr)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(proxy.Close)

		client := mustDialDelta(proxy.Addr)
		client.subscribe(vsV1)
		client.recv()
		connected := func() float64 {
			return mcpservertest.MetricValue(registry, "cfmesh_copilot_mcp_connected_clients", nil)
		}
		Expect(connected()).To(Equal(1.0))
		Consistently(connected, "2500ms", "250ms").Should(Equal(1.0), "an idle but live client answers pings and stays")

		proxy.Freeze()
		Eventually(connected, "10s", "100ms").Should(BeZero())
	})
})
