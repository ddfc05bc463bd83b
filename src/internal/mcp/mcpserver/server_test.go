package mcpserver_test

import (
	"strings"

	"code.cloudfoundry.org/lager/v3"
	"code.cloudfoundry.org/lager/v3/lagertest"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/mcp"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/internal/mcptest"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver/mcpservertest"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

var _ = Describe("Server", func() {
	var (
		logger   *lagertest.TestLogger
		registry *prometheus.Registry
		server   *mcpserver.Server
		grpcSrv  *mcpservertest.Server
		client   *adsClient
		world    mesh.Config
	)

	metric := func(name string, labels map[string]string) float64 {
		return mcpservertest.MetricValue(registry, name, labels)
	}

	BeforeEach(func() {
		logger = lagertest.NewTestLogger("test")
		registry = prometheus.NewRegistry()
		server = mcpserver.New(logger, registry)
		var err error
		grpcSrv, err = mcpservertest.Serve("127.0.0.1:0", server.Register)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(grpcSrv.Stop)
		client = mustDialADS(grpcSrv.Addr)
		DeferCleanup(client.close)
		world = mcptest.World(80, "a.example.com", "b.example.com")
	})

	It("answers nothing before the first Publish, then every subscribed collection", func() {
		client.subscribe(vsV1, gwV1alpha)
		Eventually(func() float64 { return metric("cfmesh_copilot_mcp_connected_clients", nil) }, "5s").To(Equal(1.0))
		server.Publish(world)

		got := client.recvAll(2)
		Expect(got[vsV1].VersionInfo).To(Equal(world.CollectionVersion(mesh.KindVirtualService)))
		Expect(got[gwV1alpha].VersionInfo).To(Equal(world.CollectionVersion(mesh.KindGateway)))
		decoded, err := mcp.DecodeCollection(vsV1, got[vsV1].Resources)
		Expect(err).NotTo(HaveOccurred())
		Expect(decoded).To(HaveLen(2))
		Expect(decoded[0].Key()).To(Equal("cloudfoundry/vs-a.example.com"))
		Expect(got[vsV1].Nonce).NotTo(Equal(got[gwV1alpha].Nonce))
		Expect(logger.LogMessages()).To(ContainElement("test.mcp-server.stream.stream-node"))
	})

	It("answers a collection subscribed after Publish at once, empty ones included", func() {
		server.Publish(world)
		client.subscribe("networking.istio.io/v1alpha3/Sidecar")
		resp := client.recv()
		Expect(resp.TypeUrl).To(Equal("networking.istio.io/v1alpha3/Sidecar"))
		Expect(resp.Resources).To(BeEmpty())
		Expect(resp.VersionInfo).NotTo(BeEmpty())
	})

	It("serves one kind under each API version it was requested under, with the same body", func() {
		server.Publish(world)
		client.subscribe(gwV1alpha, gwV1)
		got := client.recvAll(2)
		Expect(got[gwV1].VersionInfo).To(Equal(got[gwV1alpha].VersionInfo))
		Expect(proto.Equal(got[gwV1].Resources[0], got[gwV1alpha].Resources[0])).To(BeTrue())
	})

	It("answers istiod's initial requests: every collection, empty when unknown, MeshConfig never", func() {
		server.Publish(world)
		pilotCollections := []string{
			"security.istio.io/v1/AuthorizationPolicy", drV1, "networking.istio.io/v1alpha3/EnvoyFilter", gwV1,
			"security.istio.io/v1/PeerAuthentication", "networking.istio.io/v1beta1/ProxyConfig",
			"security.istio.io/v1/RequestAuthentication", seV1, "networking.istio.io/v1/Sidecar",
			"telemetry.istio.io/v1/Telemetry", "extensions.istio.io/v1alpha1/TrafficExtension", vsV1,
			"extensions.istio.io/v1alpha1/WasmPlugin", "networking.istio.io/v1/WorkloadEntry", "networking.istio.io/v1/WorkloadGroup",
		}
		client.subscribe("core/v1alpha1/MeshConfig")
		client.subscribe(pilotCollections...)

		got := client.recvAll(len(pilotCollections))
		for _, c := range pilotCollections {
			Expect(got).To(HaveKey(c))
		}
		Expect(got["networking.istio.io/v1alpha3/EnvoyFilter"].Resources).To(BeEmpty())
		Expect(got["telemetry.istio.io/v1/Telemetry"].Resources).To(BeEmpty())
		Expect(got[vsV1].Resources).To(HaveLen(2))
		Expect(metric("cfmesh_copilot_mcp_pushes_total", map[string]string{"collection": "unknown"})).To(Equal(7.0))
		Expect(metric("cfmesh_copilot_mcp_pushes_total", map[string]string{"collection": vsV1})).To(Equal(1.0))

		By("sending nothing more than the changed collection afterwards: no late MeshConfig")
		server.Publish(mcptest.World(10, "a.example.com", "b.example.com"))
		Expect(client.recv().TypeUrl).To(Equal(vsV1))
		Expect(logger.LogMessages()).To(ContainElement("test.mcp-server.stream.unknown-collection-answered-empty"))
	})

	It("never answers a type URL that is not an MCP collection", func() {
		server.Publish(world)
		client.subscribe("type.googleapis.com/envoy.config.cluster.v3.Cluster", vsV1)
		Expect(client.recv().TypeUrl).To(Equal(vsV1))
		server.Publish(mcptest.World(10, "a.example.com", "b.example.com"))
		Expect(client.recv().TypeUrl).To(Equal(vsV1))
	})

	Context("after the first responses", func() {
		var first map[string]*discoveryv3.DiscoveryResponse

		BeforeEach(func() {
			server.Publish(world)
			client.subscribe(gwV1, vsV1, drV1, seV1)
			first = client.recvAll(4)
			for _, resp := range first {
				client.ack(resp)
			}
		})

		It("re-sends only collections whose version changed", func() {
			server.Publish(mcptest.World(60, "a.example.com", "b.example.com"))
			resp := client.recv()
			Expect(resp.TypeUrl).To(Equal(vsV1))
			Expect(resp.VersionInfo).NotTo(Equal(first[vsV1].VersionInfo))

			By("sending nothing for an identical Publish")
			server.Publish(mcptest.World(60, "a.example.com", "b.example.com"))
			changedGateway := mcptest.Config(append(withoutKind(mcptest.World(60, "a.example.com", "b.example.com"), mesh.KindGateway), mcptest.Gateway(9090))...)
			server.Publish(changedGateway)
			Expect(client.recv().TypeUrl).To(Equal(gwV1))
		})

		It("logs and counts a NACK and does not resend the rejected version", func() {
			client.nack(first[vsV1], "", "bad virtual service cloudfoundry/vs-a.example.com")
			Eventually(func() float64 {
				return metric("cfmesh_copilot_mcp_nacks_total", map[string]string{"collection": vsV1})
			}, "5s").To(Equal(1.0))
			nack := findLog(logger, "mcp-nack")
			Expect(nack.Data).To(HaveKeyWithValue("error", "bad virtual service cloudfoundry/vs-a.example.com"))
			Expect(nack.Data).To(HaveKeyWithValue("node", "router~10.0.0.9~pilot.cloudfoundry~cloudfoundry.svc.cluster.local"))
			Expect(nack.Data).To(HaveKeyWithValue("collection", vsV1))

			server.Publish(world)
			server.Publish(mcptest.Config(append(withoutKind(world, mesh.KindGateway), mcptest.Gateway(9090))...))
			Expect(client.recv().TypeUrl).To(Equal(gwV1))

			By("sending the collection again once it changes")
			server.Publish(mcptest.World(5, "a.example.com", "b.example.com"))
			Expect(client.recv().TypeUrl).To(Equal(gwV1))
			Expect(client.recv().TypeUrl).To(Equal(vsV1))
		})

		It("ignores a request with a stale nonce", func() {
			client.send(&discoveryv3.DiscoveryRequest{
				TypeUrl: vsV1, ResponseNonce: "no-such-nonce",
				ErrorDetail: &rpcstatus.Status{Code: 3, Message: "stale"},
			})
			By("proving the stale request was handled: requests are handled in order")
			client.subscribe("networking.istio.io/v1/Sidecar")
			Expect(client.recv().TypeUrl).To(Equal("networking.istio.io/v1/Sidecar"))
			Expect(metric("cfmesh_copilot_mcp_nacks_total", map[string]string{"collection": vsV1})).To(BeZero())
		})

		It("sends the current state again on a request without nonce", func() {
			client.send(&discoveryv3.DiscoveryRequest{TypeUrl: drV1})
			resp := client.recv()
			Expect(resp.TypeUrl).To(Equal(drV1))
			Expect(resp.VersionInfo).To(Equal(first[drV1].VersionInfo))
			Expect(resp.Nonce).NotTo(Equal(first[drV1].Nonce))
		})

		It("keeps serving the previous Config when a new one cannot be encoded", func() {
			broken := mcptest.Config(append(withoutKind(world, mesh.KindGateway),
				mesh.Resource{Kind: mesh.KindGateway, Namespace: "cloudfoundry", Name: "broken"})...)
			server.Publish(broken)
			Expect(findLog(logger, "publish-rejected").Data).To(HaveKeyWithValue("error", ContainSubstring("cloudfoundry/broken")))

			late := mustDialADS(grpcSrv.Addr)
			DeferCleanup(late.close)
			late.subscribe(gwV1)
			Expect(late.recv().VersionInfo).To(Equal(first[gwV1].VersionInfo))
		})
	})

	It("does not let a client that stopped reading stall Publish or other clients", func() {
		stuck := mustDialADS(grpcSrv.Addr)
		DeferCleanup(stuck.close)
		stuck.subscribe(vsV1)
		client.subscribe(vsV1)
		Eventually(func() float64 { return metric("cfmesh_copilot_mcp_connected_clients", nil) }, "5s").To(Equal(2.0))

		last := bigWorld(7)
		published := make(chan struct{})
		go func() {
			defer GinkgoRecover()
			defer close(published)
			for i := range 7 {
				server.Publish(bigWorld(i))
			}
			server.Publish(last)
		}()
		Eventually(published, "10s").Should(BeClosed())
		Eventually(func() string { return client.recv().VersionInfo }, "10s").
			Should(Equal(last.CollectionVersion(mesh.KindVirtualService)))
	})

	It("counts connected clients", func() {
		Eventually(func() float64 { return metric("cfmesh_copilot_mcp_connected_clients", nil) }, "5s").To(Equal(1.0))
		client.close()
		Eventually(func() float64 { return metric("cfmesh_copilot_mcp_connected_clients", nil) }, "5s").To(BeZero())
		Eventually(logger.LogMessages, "5s").Should(ContainElement("test.mcp-server.stream.stream-closed"))
	})

	It("ends open streams with Unavailable on Shutdown, so pilots move to a peer", func() {
		server.Publish(world)
		client.subscribe(vsV1)
		client.recv()
		server.Shutdown()
		_, err := client.stream.Recv()
		Expect(status.Code(err)).To(Equal(codes.Unavailable))
		Expect(err).To(MatchError(ContainSubstring("shutting down")))

		By("refusing a stream opened after Shutdown the same way")
		late := mustDialADS(grpcSrv.Addr)
		defer late.close()
		late.subscribe(vsV1)
		_, err = late.stream.Recv()
		Expect(status.Code(err)).To(Equal(codes.Unavailable))
	})
})

var _ = Describe("Server with mutual TLS", func() {
	var (
		pki     *mcpservertest.PKI
		grpcSrv *mcpservertest.Server
		server  *mcpserver.Server
	)

	BeforeEach(func() {
		var err error
		pki, err = mcpservertest.NewPKI()
		Expect(err).NotTo(HaveOccurred())
		server = mcpserver.New(lagertest.NewTestLogger("test"), nil)
		server.Publish(mcptest.World(50, "a.example.com"))
		grpcSrv, err = mcpservertest.Serve("127.0.0.1:0", server.Register, grpc.Creds(pki.ServerCredentials()))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(grpcSrv.Stop)
	})

	It("serves a client that presents a certificate from the CA", func() {
		client, err := dialADS(grpcSrv.Addr, pki.ClientCredentials())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(client.close)
		client.subscribe(vsV1)
		Expect(client.recv().Resources).To(HaveLen(1))
	})

	It("refuses a client without a certificate", func() {
		client, err := dialADS(grpcSrv.Addr, pki.ClientCredentialsWithoutCertificate())
		if err == nil {
			DeferCleanup(client.close)
			_, err = client.stream.Recv()
		}
		Expect(err).To(HaveOccurred())
		Expect(status.Code(err)).To(Equal(codes.Unavailable))
	})
})

// bigWorld is a Config whose VirtualService collection is about 256 KiB, so
// a few undelivered responses fill a stream's flow-control window.
func bigWorld(generation int) mesh.Config {
	vs := mcptest.VirtualService("big.example.com", int32(generation))
	vs.Annotations = map[string]string{"padding": strings.Repeat("x", 256*1024)}
	return mcptest.Config(vs)
}

func withoutKind(cfg mesh.Config, kind mesh.Kind) []mesh.Resource {
	var out []mesh.Resource
	for _, info := range mesh.Kinds() {
		if info.Kind != kind {
			out = append(out, cfg.Of(info.Kind)...)
		}
	}
	return out
}

func findLog(logger *lagertest.TestLogger, action string) lager.LogFormat {
	for _, l := range logger.Logs() {
		if strings.HasSuffix(l.Message, "."+action) {
			return l
		}
	}
	Fail("no log line " + action)
	return lager.LogFormat{}
}

func findLastLog(logger *lagertest.TestLogger, action string) lager.LogFormat {
	logs := logger.Logs()
	for i := len(logs) - 1; i >= 0; i-- {
		if strings.HasSuffix(logs[i].Message, "."+action) {
			return logs[i]
		}
	}
	Fail("no log line " + action)
	return lager.LogFormat{}
}
