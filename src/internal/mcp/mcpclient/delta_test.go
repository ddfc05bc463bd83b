package mcpclient_test

import (
	"code.cloudfoundry.org/lager/v3/lagertest"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/types/known/anypb"

	"code.cloudfoundry.org/cf-mesh/internal/mcp"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/internal/mcptest"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpclient"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver/mcpservertest"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// deltaResponse wraps objects the way the copilot's delta server does.
func deltaResponse(typeURL, nonce string, removed []string, objects ...mesh.Resource) *discoveryv3.DeltaDiscoveryResponse {
	resp := &discoveryv3.DeltaDiscoveryResponse{TypeUrl: typeURL, Nonce: nonce, RemovedResources: removed, SystemVersionInfo: "v-" + nonce}
	for _, r := range objects {
		body, err := mcp.EncodeResource(r)
		Expect(err).NotTo(HaveOccurred())
		resp.Resources = append(resp.Resources, &discoveryv3.Resource{Name: r.Key(), Version: r.Version, Resource: body})
	}
	return resp
}

var _ = Describe("Client over Delta against a scripted ADS server", func() {
	var (
		fake     *fakeADS
		srv      *mcpservertest.Server
		logger   *lagertest.TestLogger
		registry *prometheus.Registry
		rec      *recorder
		world    mesh.Config
	)

	responses := func(collection, result string) float64 {
		return mcpservertest.MetricValue(registry, "cfmesh_pilot_mcp_responses_total", map[string]string{"collection": collection, "result": result})
	}

	// respondAndExpectACK sends a response and checks the client ACKs it.
	respondAndExpectACK := func(resp *discoveryv3.DeltaDiscoveryResponse) {
		fake.respondDelta(resp)
		ack := fake.nextDeltaRequest()
		Expect(ack.TypeUrl).To(Equal(resp.TypeUrl))
		Expect(ack.ResponseNonce).To(Equal(resp.Nonce))
		Expect(ack.ErrorDetail).To(BeNil())
	}

	// syncWorld answers each subscription with the world's objects.
	syncWorld := func() {
		respondAndExpectACK(deltaResponse(gwV1, "n1", nil, world.Of(mesh.KindGateway)...))
		respondAndExpectACK(deltaResponse(vsV1, "n2", nil, world.Of(mesh.KindVirtualService)...))
		respondAndExpectACK(deltaResponse(drV1, "n3", nil, world.Of(mesh.KindDestinationRule)...))
		respondAndExpectACK(deltaResponse(seV1, "n4", nil, world.Of(mesh.KindServiceEntry)...))
	}

	BeforeEach(func() {
		fake = newFakeADS()
		var err error
		srv, err = mcpservertest.Serve("127.0.0.1:0", fake.register)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { srv.Stop() })
		logger = lagertest.NewTestLogger("test")
		registry = prometheus.NewRegistry()
		world = mcptest.Foundation(3, 4)
		// The scripted server answers the four routing kinds.
		rec = startClient(mcpclient.Config{Addresses: []string{srv.Addr}, NodeID: nodeID, Kinds: routingKinds}, insecureCreds, logger, registry)
	})

	It("subscribes to each kind with a wildcard, declaring nothing, sending the node once", func() {
		var typeURLs []string
		for i := range 4 {
			req := fake.nextDeltaRequest()
			typeURLs = append(typeURLs, req.TypeUrl)
			Expect(req.ResourceNamesSubscribe).To(Equal([]string{"*"}))
			Expect(req.InitialResourceVersions).To(BeEmpty())
			Expect(req.ResponseNonce).To(BeEmpty())
			if i == 0 {
				Expect(req.Node.GetId()).To(Equal(nodeID))
				Expect(req.Node.GetMetadata().GetFields()["GENERATOR"].GetStringValue()).To(Equal("api"))
			} else {
				Expect(req.Node).To(BeNil())
			}
		}
		Expect(typeURLs).To(Equal([]string{gwV1, vsV1, drV1, seV1}))
	})

	Context("once subscribed", func() {
		BeforeEach(func() {
			for range 4 {
				fake.nextDeltaRequest()
			}
		})

		It("calls onConfig only when every collection has been answered, empty answers included", func() {
			respondAndExpectACK(deltaResponse(gwV1, "n1", nil, world.Of(mesh.KindGateway)...))
			respondAndExpectACK(deltaResponse(vsV1, "n2", nil, world.Of(mesh.KindVirtualService)...))
			respondAndExpectACK(deltaResponse(drV1, "n3", nil))
			Expect(rec.count()).To(BeZero())
			respondAndExpectACK(deltaResponse(seV1, "n4", nil))
			Expect(rec.count()).To(Equal(1))
			Expect(objects(rec.last(), mesh.KindVirtualService)).To(Equal(objects(world, mesh.KindVirtualService)))
			Expect(rec.last().Of(mesh.KindServiceEntry)).To(BeEmpty())
			Expect(logger.LogMessages()).To(ContainElement("test.mcp-client.mesh-synced"))
		})

		It("applies updates and removals to what it holds", func() {
			syncWorld()
			moved := mcptest.FoundationServiceEntry(1, 4, 2)
			respondAndExpectACK(deltaResponse(seV1, "n5", nil, moved))
			Expect(rec.count()).To(Equal(2))
			expectSameKinds(routingKinds, rec.last(), mcptest.WithReplaced(world, moved))

			gone := world.Of(mesh.KindVirtualService)[0].Key()
			respondAndExpectACK(deltaResponse(vsV1, "n6", []string{gone}))
			expectSameKinds(routingKinds, rec.last(), mcptest.Without(mcptest.WithReplaced(world, moved), mesh.KindVirtualService, gone))
			Expect(mcpservertest.MetricValue(registry, "cfmesh_pilot_mcp_resources_received_total",
				map[string]string{"collection": seV1, "transport": "delta"})).To(Equal(4.0))
		})

		It("ACKs a re-sent unchanged object without calling onConfig", func() {
			syncWorld()
			respondAndExpectACK(deltaResponse(seV1, "n5", []string{"cloudfoundry/never-had"}, world.Of(mesh.KindServiceEntry)[0]))
			Expect(rec.count()).To(Equal(1))
		})

		It("NACKs a bad object by name, keeps its last good version and applies the good ones", func() {
			syncWorld()
			bad := mcptest.FoundationServiceEntry(0, 4, 1)
			good := mcptest.FoundationServiceEntry(2, 4, 1)
			resp := deltaResponse(seV1, "n5", nil, bad, good)
			resp.Resources[0].Resource = corrupt([]*anypb.Any{resp.Resources[0].Resource})[0]
			fake.respondDelta(resp)

			nack := fake.nextDeltaRequest()
			Expect(nack.ResponseNonce).To(Equal("n5"))
			Expect(nack.ErrorDetail.GetCode()).To(Equal(int32(3)))
			Expect(nack.ErrorDetail.GetMessage()).To(ContainSubstring(`resource 0 ("` + bad.Key() + `")`))
			Expect(nack.ErrorDetail.GetMessage()).To(ContainSubstring(`name "no-namespace"`))
			Expect(responses(seV1, "nack")).To(Equal(1.0))
			Expect(rec.count()).To(Equal(2))
			expectSameKinds(routingKinds, rec.last(), mcptest.WithReplaced(world, good))
			Expect(logger.LogMessages()).To(ContainElement("test.mcp-client.mcp-nack-sent"))
		})

		It("NACKs a bad first answer but counts it as answered, so a bad object cannot hold the pilot unready", func() {
			resp := deltaResponse(gwV1, "n1", nil, world.Of(mesh.KindGateway)...)
			resp.Resources[0].Resource = corrupt([]*anypb.Any{resp.Resources[0].Resource})[0]
			fake.respondDelta(resp)
			Expect(fake.nextDeltaRequest().ErrorDetail).NotTo(BeNil())
			respondAndExpectACK(deltaResponse(vsV1, "n2", nil))
			respondAndExpectACK(deltaResponse(drV1, "n3", nil))
			respondAndExpectACK(deltaResponse(seV1, "n4", nil))
			Expect(rec.count()).To(Equal(1))
			Expect(rec.last().Of(mesh.KindGateway)).To(BeEmpty())
		})

		It("ignores a collection it did not ask for", func() {
			fake.respondDelta(deltaResponse("networking.istio.io/v1/Sidecar", "n0", nil))
			respondAndExpectACK(deltaResponse(gwV1, "n1", nil, world.Of(mesh.KindGateway)...))
			Expect(logger.LogMessages()).To(ContainElement("test.mcp-client.unrequested-collection-ignored"))
		})

		It("declares what it holds when it reconnects, last good versions included", func() {
			syncWorld()
			bad := mcptest.FoundationServiceEntry(0, 4, 1)
			resp := deltaResponse(seV1, "n5", nil, bad)
			resp.Resources[0].Resource = corrupt([]*anypb.Any{resp.Resources[0].Resource})[0]
			fake.respondDelta(resp)
			Expect(fake.nextDeltaRequest().ErrorDetail).NotTo(BeNil())

			addr := srv.Addr
			srv.Stop()
			var err error
			srv, err = mcpservertest.Serve(addr, fake.register)
			Expect(err).NotTo(HaveOccurred())

			declared := map[string]map[string]string{}
			for range 4 {
				req := fake.nextDeltaRequest()
				declared[req.TypeUrl] = req.InitialResourceVersions
			}
			for _, info := range []mesh.KindInfo{info(mesh.KindGateway), info(mesh.KindVirtualService), info(mesh.KindDestinationRule), info(mesh.KindServiceEntry)} {
				want := map[string]string{}
				for _, r := range world.Of(info.Kind) {
					want[r.Key()] = r.Version
				}
				Expect(declared[info.Collection("v1")]).To(Equal(want), string(info.Kind))
			}
			Expect(logger.LogMessages()).To(ContainElement("test.mcp-client.mcp-stream-lost"))
			Expect(rec.count()).To(Equal(1), "a lost stream hands nothing on")
		})
	})
})

func info(k mesh.Kind) mesh.KindInfo {
	i, ok := k.Info()
	Expect(ok).To(BeTrue())
	return i
}
