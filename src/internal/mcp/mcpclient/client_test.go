package mcpclient_test

import (
	"context"

	"code.cloudfoundry.org/lager/v3/lagertest"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	mcpv1alpha1 "istio.io/api/mcp/v1alpha1"

	"code.cloudfoundry.org/cf-mesh/internal/mcp"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/internal/mcptest"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpclient"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver/mcpservertest"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

const (
	gwV1 = "networking.istio.io/v1/Gateway"
	vsV1 = "networking.istio.io/v1/VirtualService"
	drV1 = "networking.istio.io/v1/DestinationRule"
	seV1 = "networking.istio.io/v1/ServiceEntry"

	nodeID = "router~10.1.2.3~pilot.cloudfoundry~cloudfoundry.svc.cluster.local"
)

var insecureCreds = grpc.WithTransportCredentials(insecure.NewCredentials())

func encode(cfg mesh.Config, kind mesh.Kind) []*anypb.Any {
	resources, err := mcp.EncodeCollection(cfg, kind)
	Expect(err).NotTo(HaveOccurred())
	return resources
}

// corrupt returns the resources with the first one renamed to a name that is
// not namespace/name.
func corrupt(resources []*anypb.Any) []*anypb.Any {
	var r mcpv1alpha1.Resource
	Expect(resources[0].UnmarshalTo(&r)).To(Succeed())
	r.Metadata.Name = "no-namespace"
	value, err := proto.Marshal(&r)
	Expect(err).NotTo(HaveOccurred())
	return append([]*anypb.Any{{TypeUrl: mcp.ResourceTypeURL, Value: value}}, resources[1:]...)
}

var _ = Describe("New", func() {
	valid := mcpclient.Config{Addresses: []string{"127.0.0.1:1"}}

	It("rejects an invalid config", func() {
		_, err := mcpclient.New(mcpclient.Config{}, insecureCreds, lagertest.NewTestLogger("test"), nil, func(mesh.Config) {})
		Expect(err).To(MatchError(ContainSubstring("at least one copilot address")))
	})

	It("requires credentials and a callback", func() {
		_, err := mcpclient.New(valid, nil, lagertest.NewTestLogger("test"), nil, func(mesh.Config) {})
		Expect(err).To(MatchError(ContainSubstring("transport credentials")))
		_, err = mcpclient.New(valid, insecureCreds, lagertest.NewTestLogger("test"), nil, nil)
		Expect(err).To(MatchError(ContainSubstring("onConfig")))
	})

	It("refuses to Run twice at once", func() {
		logger := lagertest.NewTestLogger("test")
		client, err := mcpclient.New(valid, insecureCreds, logger, nil, func(mesh.Config) {})
		Expect(err).NotTo(HaveOccurred())
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- client.Run(ctx) }()
		Eventually(logger.LogMessages, "5s").Should(ContainElement("test.mcp-client.mcp-stream-lost"))
		Expect(client.Run(ctx)).To(MatchError(ContainSubstring("already running")))
		cancel()
		Eventually(done, "5s").Should(Receive(BeNil()))
	})
})

var _ = Describe("Client over State of the World against a scripted ADS server", func() {
	var (
		fake     *fakeADS
		logger   *lagertest.TestLogger
		registry *prometheus.Registry
		rec      *recorder
		world    mesh.Config
	)

	responses := func(collection, result string) float64 {
		return mcpservertest.MetricValue(registry, "cfmesh_pilot_mcp_responses_total", map[string]string{"collection": collection, "result": result})
	}

	// respondAndExpectACK sends a response and checks the client ACKs it.
	respondAndExpectACK := func(typeURL, version, nonce string, resources []*anypb.Any) {
		fake.respond(&discoveryv3.DiscoveryResponse{TypeUrl: typeURL, VersionInfo: version, Nonce: nonce, Resources: resources})
		ack := fake.nextRequest()
		Expect(ack.TypeUrl).To(Equal(typeURL))
		Expect(ack.VersionInfo).To(Equal(version))
		Expect(ack.ResponseNonce).To(Equal(nonce))
		Expect(ack.ErrorDetail).To(BeNil())
	}

	BeforeEach(func() {
		fake = newFakeADS()
		srv, err := mcpservertest.Serve("127.0.0.1:0", fake.register)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Stop)
		logger = lagertest.NewTestLogger("test")
		registry = prometheus.NewRegistry()
		world = mcptest.World(70, "a.example.com", "b.example.com")
		rec = startClient(mcpclient.Config{Addresses: []string{srv.Addr}, NodeID: nodeID, Transport: "sotw", Kinds: routingKinds}, insecureCreds, logger, registry)
	})

	It("subscribes to each kind under its v1 type URL, as an api generator node", func() {
		var typeURLs []string
		for range 4 {
			req := fake.nextRequest()
			typeURLs = append(typeURLs, req.TypeUrl)
			Expect(req.VersionInfo).To(BeEmpty())
			Expect(req.ResponseNonce).To(BeEmpty())
			Expect(req.Node.GetId()).To(Equal(nodeID))
			Expect(req.Node.GetMetadata().GetFields()["GENERATOR"].GetStringValue()).To(Equal("api"))
		}
		Expect(typeURLs).To(Equal([]string{gwV1, vsV1, drV1, seV1}))
	})

	Context("once subscribed", func() {
		BeforeEach(func() {
			for range 4 {
				fake.nextRequest()
			}
		})

		It("calls onConfig only when every collection has been received", func() {
			respondAndExpectACK(gwV1, "g1", "n1", encode(world, mesh.KindGateway))
			respondAndExpectACK(vsV1, "v1", "n2", encode(world, mesh.KindVirtualService))
			respondAndExpectACK(drV1, "d1", "n3", encode(world, mesh.KindDestinationRule))
			Expect(rec.count()).To(BeZero())
			Expect(logger.LogMessages()).NotTo(ContainElement("test.mcp-client.mesh-synced"))

			respondAndExpectACK(seV1, "s1", "n4", nil)
			Expect(rec.count()).To(Equal(1))
			Expect(objects(rec.last(), mesh.KindVirtualService)).To(Equal(objects(world, mesh.KindVirtualService)))
			Expect(objects(rec.last(), mesh.KindGateway)).To(Equal(objects(world, mesh.KindGateway)))
			Expect(rec.last().Of(mesh.KindServiceEntry)).To(BeEmpty())
			Expect(logger.LogMessages()).To(ContainElement("test.mcp-client.mesh-synced"))
		})

		It("NACKs a response that does not decode, with the last accepted version, and keeps the last good state", func() {
			respondAndExpectACK(gwV1, "g1", "n1", encode(world, mesh.KindGateway))
			respondAndExpectACK(vsV1, "v1", "n2", encode(world, mesh.KindVirtualService))
			respondAndExpectACK(drV1, "d1", "n3", encode(world, mesh.KindDestinationRule))
			respondAndExpectACK(seV1, "s1", "n4", encode(world, mesh.KindServiceEntry))
			Expect(rec.count()).To(Equal(1))

			changed := mcptest.World(20, "a.example.com", "b.example.com")
			fake.respond(&discoveryv3.DiscoveryResponse{TypeUrl: vsV1, VersionInfo: "v2", Nonce: "n5", Resources: corrupt(encode(changed, mesh.KindVirtualService))})
			nack := fake.nextRequest()
			Expect(nack.TypeUrl).To(Equal(vsV1))
			Expect(nack.VersionInfo).To(Equal("v1"))
			Expect(nack.ResponseNonce).To(Equal("n5"))
			Expect(nack.ErrorDetail.GetCode()).To(Equal(int32(3)))
			Expect(nack.ErrorDetail.GetMessage()).To(ContainSubstring(`resource 0: name "no-namespace"`))
			Expect(rec.count()).To(Equal(1))
			Expect(responses(vsV1, "nack")).To(Equal(1.0))

			respondAndExpectACK(vsV1, "v3", "n6", encode(changed, mesh.KindVirtualService))
			Expect(rec.count()).To(Equal(2))
			Expect(objects(rec.last(), mesh.KindVirtualService)).To(Equal(objects(changed, mesh.KindVirtualService)))
			Expect(responses(vsV1, "ack")).To(Equal(2.0))
		})

		It("NACKs with an empty version before anything was accepted, and stays unsynced", func() {
			fake.respond(&discoveryv3.DiscoveryResponse{TypeUrl: gwV1, VersionInfo: "g1", Nonce: "n1", Resources: corrupt(encode(world, mesh.KindGateway))})
			nack := fake.nextRequest()
			Expect(nack.VersionInfo).To(BeEmpty())
			Expect(nack.ErrorDetail).NotTo(BeNil())
			respondAndExpectACK(vsV1, "v1", "n2", nil)
			respondAndExpectACK(drV1, "d1", "n3", nil)
			respondAndExpectACK(seV1, "s1", "n4", nil)
			Expect(rec.count()).To(BeZero())
		})

		It("ACKs an unchanged collection without calling onConfig", func() {
			respondAndExpectACK(gwV1, "g1", "n1", encode(world, mesh.KindGateway))
			respondAndExpectACK(vsV1, "v1", "n2", encode(world, mesh.KindVirtualService))
			respondAndExpectACK(drV1, "d1", "n3", encode(world, mesh.KindDestinationRule))
			respondAndExpectACK(seV1, "s1", "n4", encode(world, mesh.KindServiceEntry))
			respondAndExpectACK(vsV1, "v1-again", "n5", encode(world, mesh.KindVirtualService))
			Expect(rec.count()).To(Equal(1))
			Expect(mcpservertest.MetricValue(registry, "cfmesh_pilot_mcp_last_update_timestamp_seconds", nil)).To(BeNumerically(">", 0))
		})

		It("ignores a collection it did not ask for", func() {
			fake.respond(&discoveryv3.DiscoveryResponse{TypeUrl: "networking.istio.io/v1/Sidecar", VersionInfo: "x", Nonce: "n0"})
			respondAndExpectACK(gwV1, "g1", "n1", encode(world, mesh.KindGateway))
			Expect(logger.LogMessages()).To(ContainElement("test.mcp-client.unrequested-collection-ignored"))
		})
	})
})
