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

const markerURL = mcp.BuildCompleteCollection

// sotwBuild decodes the build a State-of-the-World marker names.
func sotwBuild(resp *discoveryv3.DiscoveryResponse) string {
	Expect(resp.TypeUrl).To(Equal(markerURL))
	build, err := mcp.DecodeBuildComplete(resp.Resources)
	Expect(err).NotTo(HaveOccurred())
	Expect(build).NotTo(BeEmpty())
	Expect(resp.VersionInfo).To(Equal(build))
	return build
}

// deltaBuild decodes the build a Delta marker names.
func deltaBuild(resp *discoveryv3.DeltaDiscoveryResponse) string {
	Expect(resp.TypeUrl).To(Equal(markerURL))
	entries := make([]mcp.DeltaResource, len(resp.Resources))
	for i, r := range resp.Resources {
		entries[i] = mcp.DeltaResource{Name: r.Name, Version: r.Version, Body: r.Resource}
	}
	build, err := mcp.DecodeBuildCompleteDelta(entries, resp.RemovedResources)
	Expect(err).NotTo(HaveOccurred())
	Expect(build).NotTo(BeEmpty())
	return build
}

var _ = Describe("The build marker", func() {
	var (
		logger   *lagertest.TestLogger
		registry *prometheus.Registry
		server   *mcpserver.Server
		grpcSrv  *mcpservertest.Server
		world    mesh.Config
		// grown adds a route: its VirtualService, DestinationRule and
		// ServiceEntry change, the Gateway does not.
		grown mesh.Config
	)

	metric := func(name, collection string) float64 {
		return mcpservertest.MetricValue(registry, name, map[string]string{"collection": collection})
	}

	BeforeEach(func() {
		logger = lagertest.NewTestLogger("test")
		registry = prometheus.NewRegistry()
		server = mcpserver.New(logger, registry)
		var err error
		grpcSrv, err = mcpservertest.Serve("127.0.0.1:0", server.Register)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(grpcSrv.Stop)
		world = mcptest.World(70, "a.example.com", "b.example.com")
		grown = mcptest.World(70, "a.example.com", "b.example.com", "c.example.com")
	})

	Describe("over State of the World", func() {
		var client *adsClient

		// sync subscribes to the marker first (its type URL sorts before
		// the Istio ones) and to the pilot's collections, and ACKs the
		// first answers; it returns the build the first marker named.
		sync := func() string {
			server.Publish(world)
			client.subscribe(markerURL)
			build := sotwBuild(client.recv())
			client.subscribe(pilotCollections...)
			for _, resp := range client.recvAll(len(pilotCollections)) {
				client.ack(resp)
			}
			return build
		}

		// expectNothingPending proves nothing was queued before two probe
		// subscriptions were answered, the second after the first.
		expectNothingPending := func() {
			client.subscribe(sidecarV1)
			Expect(client.recv().TypeUrl).To(Equal(sidecarV1))
			client.subscribe("security.istio.io/v1/AuthorizationPolicy")
			Expect(client.recv().TypeUrl).To(Equal("security.istio.io/v1/AuthorizationPolicy"))
		}

		BeforeEach(func() {
			client = mustDialADS(grpcSrv.Addr)
			DeferCleanup(client.close)
		})

		It("sends the changed collections of a build, then the marker naming it", func() {
			first := sync()
			server.Publish(grown)
			got := []string{}
			var last *discoveryv3.DiscoveryResponse
			for range 4 {
				last = client.recv()
				got = append(got, last.TypeUrl)
				client.ack(last)
			}
			Expect(got).To(Equal([]string{drV1, seV1, vsV1, markerURL}))
			Expect(sotwBuild(last)).NotTo(Equal(first))
			Expect(metric("cfmesh_copilot_mcp_pushes_total", markerURL)).To(Equal(2.0))
			Expect(logger.LogMessages()).To(ContainElement("test.mcp-server.stream.subscribed-build-marker"))
		})

		It("sends no marker when the build is the same", func() {
			sync()
			server.Publish(world)
			expectNothingPending()
			Expect(metric("cfmesh_copilot_mcp_pushes_total", markerURL)).To(Equal(1.0))
		})

		It("names builds by content: the same content gives the same build", func() {
			first := sync()
			server.Publish(grown)
			for range 4 {
				client.ack(client.recv())
			}
			server.Publish(world)
			var last *discoveryv3.DiscoveryResponse
			for range 4 {
				last = client.recv()
			}
			Expect(sotwBuild(last)).To(Equal(first))
		})

		It("sends nothing of it to a client that did not subscribe to it", func() {
			server.Publish(world)
			client.subscribe(pilotCollections...)
			for _, resp := range client.recvAll(len(pilotCollections)) {
				client.ack(resp)
			}
			server.Publish(grown)
			Expect(client.recvAll(3)).NotTo(HaveKey(markerURL))
			expectNothingPending()
			Expect(metric("cfmesh_copilot_mcp_pushes_total", markerURL)).To(BeZero())
		})

		It("takes a NACK of the marker like any collection's", func() {
			sync()
			server.Publish(grown)
			var last *discoveryv3.DiscoveryResponse
			for range 4 {
				last = client.recv()
			}
			client.nack(last, "", "bad marker")
			Eventually(func() float64 { return metric("cfmesh_copilot_mcp_nacks_total", markerURL) }, "5s").Should(Equal(1.0))
			expectNothingPending()
		})
	})

	Describe("over Delta", func() {
		var client *deltaClient

		sync := func() string {
			server.Publish(world)
			client.subscribe(markerURL)
			build := deltaBuild(client.recv())
			client.subscribe(pilotCollections...)
			for _, resp := range client.recvAll(len(pilotCollections)) {
				client.ack(resp)
			}
			return build
		}

		BeforeEach(func() {
			client = mustDialDelta(grpcSrv.Addr)
		})

		It("sends the changed objects of a build, then the marker naming it", func() {
			first := sync()
			server.Publish(grown)
			got := []string{}
			var last *discoveryv3.DeltaDiscoveryResponse
			for range 4 {
				last = client.recv()
				got = append(got, last.TypeUrl)
				client.ack(last)
			}
			Expect(got).To(Equal([]string{drV1, seV1, vsV1, markerURL}))
			Expect(names(last)).To(Equal([]string{mcp.BuildCompleteName}))
			Expect(last.RemovedResources).To(BeEmpty())
			build := deltaBuild(last)
			Expect(build).NotTo(Equal(first))
			Expect(last.Resources[0].Version).To(Equal(build))
			Expect(last.SystemVersionInfo).To(Equal(build))
		})

		It("sends no marker when the build is the same", func() {
			sync()
			server.Publish(world)
			client.expectNothingPending(sidecarV1)
			Expect(metric("cfmesh_copilot_mcp_pushes_total", markerURL)).To(Equal(1.0))
		})

		It("sends nothing of it to a client that did not subscribe to it", func() {
			server.Publish(world)
			client.subscribe(pilotCollections...)
			for _, resp := range client.recvAll(len(pilotCollections)) {
				client.ack(resp)
			}
			server.Publish(grown)
			Expect(client.recvAll(3)).NotTo(HaveKey(markerURL))
			client.expectNothingPending(sidecarV1)
			Expect(metric("cfmesh_copilot_mcp_pushes_total", markerURL)).To(BeZero())
		})

		It("sends nothing to a client that declares the current build", func() {
			server.Publish(world)
			client.subscribe(markerURL)
			build := deltaBuild(client.recv())

			again := mustDialDelta(grpcSrv.Addr)
			again.send(&discoveryv3.DeltaDiscoveryRequest{
				TypeUrl: markerURL, ResourceNamesSubscribe: []string{"*"}, InitialResourceVersions: map[string]string{mcp.BuildCompleteName: build},
			})
			again.expectNothingPending(sidecarV1)
		})

		It("takes a NACK of the marker like any collection's", func() {
			sync()
			server.Publish(grown)
			var last *discoveryv3.DeltaDiscoveryResponse
			for range 4 {
				last = client.recv()
			}
			client.nack(last, "bad marker")
			Eventually(func() float64 { return metric("cfmesh_copilot_mcp_nacks_total", markerURL) }, "5s").Should(Equal(1.0))
			client.expectNothingPending(sidecarV1)
		})
	})

	It("encodes the same marker body for both transports", func() {
		server.Publish(world)
		sotw := mustDialADS(grpcSrv.Addr)
		DeferCleanup(sotw.close)
		sotw.subscribe(markerURL)
		whole := sotw.recv()
		delta := mustDialDelta(grpcSrv.Addr)
		delta.subscribe(markerURL)
		incremental := delta.recv()
		Expect(whole.Resources).To(HaveLen(1))
		Expect(incremental.Resources).To(HaveLen(1))
		Expect(proto.Equal(whole.Resources[0], incremental.Resources[0].Resource)).To(BeTrue())
	})
})
