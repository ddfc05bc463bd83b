package mcpserver_test

import (
	"code.cloudfoundry.org/lager/v3/lagertest"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/mcp"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/internal/mcptest"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver/mcpservertest"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

const sidecarV1 = "networking.istio.io/v1/Sidecar"

// pilotCollections are the collections our pilot subscribes to.
var pilotCollections = []string{gwV1, vsV1, drV1, seV1}

var _ = Describe("Server, incremental (Delta) transport", func() {
	var (
		logger   *lagertest.TestLogger
		registry *prometheus.Registry
		server   *mcpserver.Server
		grpcSrv  *mcpservertest.Server
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
		world = mcptest.Foundation(20, 10)
	})

	It("answers nothing before the first Publish, then every object of every subscribed collection", func() {
		client := mustDialDelta(grpcSrv.Addr)
		client.subscribe(pilotCollections...)
		Eventually(func() float64 { return metric("cfmesh_copilot_mcp_connected_clients", nil) }, "5s").To(Equal(1.0))
		server.Publish(world)

		got := client.recvAll(4)
		for typeURL, resp := range got {
			kind, err := mesh.ParseCollection(typeURL)
			Expect(err).NotTo(HaveOccurred())
			Expect(names(resp)).To(Equal(keysOf(world, kind)), typeURL)
			Expect(resp.RemovedResources).To(BeEmpty())
			Expect(resp.SystemVersionInfo).To(Equal(world.CollectionVersion(kind)))
			for i, r := range resp.Resources {
				Expect(r.Version).To(Equal(world.Of(kind)[i].Version))
				Expect(r.Resource.TypeUrl).To(Equal(mcp.ResourceTypeURL))
			}
		}
		entries := make([]mcp.DeltaResource, 0, len(got[seV1].Resources))
		for _, r := range got[seV1].Resources {
			entries = append(entries, mcp.DeltaResource{Name: r.Name, Version: r.Version, Body: r.Resource})
		}
		decoded, err := mcp.DecodeDelta(seV1, entries, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(decoded.Err()).NotTo(HaveOccurred())
		Expect(proto.Equal(decoded.Updated[3].Spec, world.Of(mesh.KindServiceEntry)[3].Spec)).To(BeTrue())
		Expect(metric("cfmesh_copilot_mcp_streams_opened_total", map[string]string{"transport": "delta"})).To(Equal(1.0))
		Expect(metric("cfmesh_copilot_mcp_resources_sent_total", map[string]string{"collection": seV1, "transport": "delta"})).To(Equal(20.0))
	})

	Context("once synced", func() {
		var client *deltaClient

		BeforeEach(func() {
			server.Publish(world)
			client = mustDialDelta(grpcSrv.Addr)
			client.subscribe(pilotCollections...)
			for _, resp := range client.recvAll(4) {
				client.ack(resp)
			}
		})

		It("sends exactly the one ServiceEntry whose endpoint moved", func() {
			moved := mcptest.FoundationServiceEntry(7, 10, 3)
			server.Publish(mcptest.WithReplaced(world, moved))

			resp := client.recv()
			Expect(resp.TypeUrl).To(Equal(seV1))
			Expect(names(resp)).To(Equal([]string{moved.Key()}))
			Expect(resp.Resources[0].Version).To(Equal(moved.Version))
			Expect(resp.RemovedResources).To(BeEmpty())
			client.ack(resp)
			client.expectNothingPending(sidecarV1)
			Expect(findLastLog(logger, "published").Data).To(HaveKeyWithValue("encoded-objects", BeNumerically("==", 1)))
		})

		It("sends deletions as removed names and additions as objects", func() {
			gone := world.Of(mesh.KindVirtualService)[4]
			server.Publish(mcptest.Without(world, mesh.KindVirtualService, gone.Key()))
			resp := client.recv()
			Expect(resp.TypeUrl).To(Equal(vsV1))
			Expect(resp.Resources).To(BeEmpty())
			Expect(resp.RemovedResources).To(Equal([]string{gone.Key()}))
			client.ack(resp)

			server.Publish(world)
			resp = client.recv()
			Expect(names(resp)).To(Equal([]string{gone.Key()}))
			Expect(resp.RemovedResources).To(BeEmpty())
			Expect(metric("cfmesh_copilot_mcp_removals_sent_total", map[string]string{"collection": vsV1})).To(Equal(1.0))
		})

		It("delivers every change whether or not wake-ups coalesce", func() {
			stuck := mcptest.WithReplaced(world, mcptest.FoundationServiceEntry(1, 10, 0))
			server.Publish(stuck)
			first := client.recv()
			Expect(names(first)).To(Equal([]string{mcptest.FoundationServiceEntry(1, 10, 0).Key()}))

			By("publishing twice more, so the stream may coalesce wake-ups")
			server.Publish(mcptest.WithReplaced(stuck, mcptest.FoundationServiceEntry(2, 10, 0)))
			server.Publish(mcptest.WithReplaced(stuck, mcptest.FoundationServiceEntry(2, 10, 0), mcptest.FoundationServiceEntry(3, 10, 0)))
			got := []string{}
			for len(got) < 2 {
				got = append(got, names(client.recv())...)
			}
			Expect(got).To(ConsistOf(mcptest.FoundationServiceEntry(2, 10, 0).Key(), mcptest.FoundationServiceEntry(3, 10, 0).Key()))
		})

		It("logs and counts a NACK, and does not resend the rejected object until it changes", func() {
			server.Publish(mcptest.WithReplaced(world, mcptest.FoundationServiceEntry(5, 10, 1)))
			rejected := client.recv()
			client.nack(rejected, "bad service entry")
			Eventually(func() float64 {
				return metric("cfmesh_copilot_mcp_nacks_total", map[string]string{"collection": seV1})
			}, "5s").Should(Equal(1.0))
			Expect(findLog(logger, "mcp-nack").Data).To(HaveKeyWithValue("error", "bad service entry"))

			server.Publish(mcptest.WithReplaced(world, mcptest.FoundationServiceEntry(5, 10, 1), mcptest.FoundationServiceEntry(6, 10, 1)))
			Expect(names(client.recv())).To(Equal([]string{mcptest.FoundationServiceEntry(6, 10, 1).Key()}))
		})

		It("ignores an ACK or NACK with a stale nonce", func() {
			client.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: seV1, ResponseNonce: "no-such-nonce", ErrorDetail: rpcStatus("stale")})
			client.expectNothingPending(sidecarV1)
			Expect(metric("cfmesh_copilot_mcp_nacks_total", map[string]string{"collection": seV1})).To(BeZero())
		})

		It("serves a SotW client on the same server with whole collections", func() {
			sotw := mustDialADS(grpcSrv.Addr)
			DeferCleanup(sotw.close)
			sotw.subscribe(seV1)
			Expect(sotw.recv().Resources).To(HaveLen(20))

			moved := mcptest.FoundationServiceEntry(11, 10, 9)
			changed := mcptest.WithReplaced(world, moved)
			server.Publish(changed)
			full := sotw.recv()
			Expect(full.Resources).To(HaveLen(20))
			Expect(full.VersionInfo).To(Equal(changed.CollectionVersion(mesh.KindServiceEntry)))
			delta := client.recv()
			Expect(names(delta)).To(Equal([]string{moved.Key()}))
			Expect(proto.Equal(delta.Resources[0].Resource, full.Resources[11])).To(BeTrue())
			Expect(metric("cfmesh_copilot_mcp_resources_sent_total", map[string]string{"collection": seV1, "transport": "sotw"})).To(Equal(40.0))
			Expect(metric("cfmesh_copilot_mcp_resources_sent_total", map[string]string{"collection": seV1, "transport": "delta"})).To(Equal(21.0))
		})
	})

	Describe("a reconnecting client declaring what it holds", func() {
		It("gets nothing when the copilot has the same content", func() {
			server.Publish(world)
			client := mustDialDelta(grpcSrv.Addr)
			for _, typeURL := range pilotCollections {
				kind, err := mesh.ParseCollection(typeURL)
				Expect(err).NotTo(HaveOccurred())
				client.resubscribe(typeURL, world, kind)
			}
			client.expectNothingPending(sidecarV1)
			Expect(metric("cfmesh_copilot_mcp_pushes_total", map[string]string{"collection": seV1})).To(BeZero())
		})

		It("gets only the difference when the copilot's content changed", func() {
			added := mcptest.FoundationServiceEntry(99, 10, -1)
			gone := world.Of(mesh.KindVirtualService)[2]
			moved := mcptest.FoundationServiceEntry(3, 10, 3)
			server.Publish(mcptest.Without(mcptest.WithReplaced(world, moved, added), mesh.KindVirtualService, gone.Key()))

			client := mustDialDelta(grpcSrv.Addr)
			for _, typeURL := range pilotCollections {
				kind, err := mesh.ParseCollection(typeURL)
				Expect(err).NotTo(HaveOccurred())
				client.resubscribe(typeURL, world, kind)
			}
			got := client.recvAll(2)
			Expect(names(got[seV1])).To(Equal([]string{moved.Key(), added.Key()}))
			Expect(got[seV1].RemovedResources).To(BeEmpty())
			Expect(got[vsV1].Resources).To(BeEmpty())
			Expect(got[vsV1].RemovedResources).To(Equal([]string{gone.Key()}))
			client.expectNothingPending(sidecarV1)
		})

		It("is told to drop what it holds that the copilot never had", func() {
			server.Publish(world)
			client := mustDialDelta(grpcSrv.Addr)
			client.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: gwV1, InitialResourceVersions: map[string]string{
				"cloudfoundry/cloudfoundry-ingress": world.Of(mesh.KindGateway)[0].Version,
				"cloudfoundry/stale-gateway":        "v0",
			}})
			resp := client.recv()
			Expect(resp.Resources).To(BeEmpty())
			Expect(resp.RemovedResources).To(Equal([]string{"cloudfoundry/stale-gateway"}))
		})
	})

	It("answers collections it does not produce with one empty response, and never MeshConfig", func() {
		server.Publish(world)
		client := mustDialDelta(grpcSrv.Addr)
		client.subscribe("core/v1alpha1/MeshConfig", "type.googleapis.com/envoy.config.cluster.v3.Cluster",
			"networking.istio.io/v1alpha3/EnvoyFilter", "networking.istio.io/v1/WorkloadEntry")
		got := client.recvAll(2)
		Expect(got).To(HaveKey("networking.istio.io/v1alpha3/EnvoyFilter"))
		Expect(got["networking.istio.io/v1alpha3/EnvoyFilter"].Resources).To(BeEmpty())
		Expect(got["networking.istio.io/v1/WorkloadEntry"].Resources).To(BeEmpty())
		client.ack(got["networking.istio.io/v1alpha3/EnvoyFilter"])

		server.Publish(mcptest.WithReplaced(world, mcptest.FoundationServiceEntry(0, 10, 0)))
		client.expectNothingPending(sidecarV1)
		Expect(metric("cfmesh_copilot_mcp_pushes_total", map[string]string{"collection": "unknown"})).To(Equal(1.0))
	})

	It("serves subscriptions by name, reporting names that do not exist as removed", func() {
		server.Publish(world)
		client := mustDialDelta(grpcSrv.Addr)
		wanted := world.Of(mesh.KindDestinationRule)[1]
		client.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: drV1, ResourceNamesSubscribe: []string{wanted.Key(), "cloudfoundry/nope"}})
		resp := client.recv()
		Expect(names(resp)).To(Equal([]string{wanted.Key()}))
		Expect(resp.RemovedResources).To(Equal([]string{"cloudfoundry/nope"}))

		By("adding the wildcard later: the rest arrives")
		client.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: drV1, ResponseNonce: resp.Nonce, ResourceNamesSubscribe: []string{"*"}})
		Expect(client.recv().Resources).To(HaveLen(len(world.Of(mesh.KindDestinationRule)) - 1))

		By("unsubscribing from a name under the wildcard: it is confirmed again")
		client.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: drV1, ResourceNamesUnsubscribe: []string{wanted.Key()}})
		Expect(names(client.recv())).To(Equal([]string{wanted.Key()}))
	})

	It("does not let a delta client that stopped reading stall Publish or other clients", func() {
		stuck := mustDialDelta(grpcSrv.Addr)
		stuck.subscribe(vsV1)
		client := mustDialDelta(grpcSrv.Addr)
		client.subscribe(vsV1)
		Eventually(func() float64 { return metric("cfmesh_copilot_mcp_connected_clients", nil) }, "5s").To(Equal(2.0))

		published := make(chan struct{})
		go func() {
			defer GinkgoRecover()
			defer close(published)
			for i := range 8 {
				server.Publish(bigWorld(i))
			}
		}()
		Eventually(published, "10s").Should(BeClosed())
		want := bigWorld(7).Of(mesh.KindVirtualService)[0].Version
		Eventually(func() string {
			resp := client.recv()
			if len(resp.Resources) == 0 {
				return ""
			}
			return resp.Resources[0].Version
		}, "10s").Should(Equal(want))
	})
})
