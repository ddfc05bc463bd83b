package mcpserver_test

import (
	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	mcpv1alpha1 "istio.io/api/mcp/v1alpha1"

	"code.cloudfoundry.org/cf-mesh/internal/mcp"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/internal/mcptest"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver/mcpservertest"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

var _ = Describe("Server with a client that behaves like istiod's adsc", func() {
	var (
		server *mcpserver.Server
		addr   string
		world  mesh.Config
	)

	BeforeEach(func() {
		server = mcpserver.New(lagertest.NewTestLogger("test"), nil)
		srv, err := mcpservertest.Serve("127.0.0.1:0", server.Register)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Stop)
		addr = srv.Addr
		world = mcptest.Foundation(200, 5)
	})

	// expectStoreHolds checks that istiod's store for each collection holds
	// exactly the world's objects of its kind, unwrapped.
	expectStoreHolds := func(c *adscClient, cfg mesh.Config, collections []string) {
		for _, typeURL := range collections {
			kind, err := mesh.ParseCollection(typeURL)
			if err != nil {
				Expect(c.store[typeURL]).To(BeEmpty(), "%s is not produced and answered empty", typeURL)
				continue
			}
			Expect(c.store[typeURL]).To(HaveLen(len(cfg.Of(kind))), typeURL)
			for _, want := range cfg.Of(kind) {
				got, ok := c.store[typeURL][want.Key()]
				Expect(ok).To(BeTrue(), "%s %s", typeURL, want.Key())
				Expect(got.version).To(Equal(want.Version))
				Expect(got.labels).To(Equal(want.Labels))
				Expect(got.annotations).To(Equal(want.Annotations))
				Expect(proto.Equal(got.spec, want.Spec)).To(BeTrue(), "%s %s", typeURL, want.Key())
			}
		}
	}

	DescribeTable("syncs istiod with every object of a realistic foundation, unwrapped",
		func(collections []string) {
			server.Publish(world)
			c := dialAdsc(addr, collections)
			DeferCleanup(c.close)
			c.receiveUntil(c.synced)
			Expect(c.warnings).To(BeEmpty())
			expectStoreHolds(c, world, collections)
			for _, kind := range []mesh.Kind{mesh.KindGateway, mesh.KindVirtualService, mesh.KindDestinationRule,
				mesh.KindServiceEntry, mesh.KindSidecar, mesh.KindAuthorizationPolicy, mesh.KindPeerAuthentication} {
				Expect(world.Of(kind)).NotTo(BeEmpty(), "the fixture exercises %s", kind)
			}
		},
		Entry("Istio 1.31 (v1 spellings, TrafficExtension)", istio131Collections),
		Entry("Istio 1.23 and older (v1alpha3 and v1beta1 spellings)", istio123Collections),
	)

	It("makes istiod delete what the copilot no longer serves and store only what changed", func() {
		server.Publish(world)
		c := dialAdsc(addr, istio131Collections)
		DeferCleanup(c.close)
		c.receiveUntil(c.synced)
		before := map[string]int{}
		for k, v := range c.pushes {
			before[k] = v
		}

		gone := world.Of(mesh.KindVirtualService)[17]
		changed := mcptest.Without(mcptest.WithReplaced(world, mcptest.FoundationServiceEntry(9, 5, 2)), mesh.KindVirtualService, gone.Key())
		server.Publish(changed)
		vs, se := "networking.istio.io/v1/VirtualService", "networking.istio.io/v1/ServiceEntry"
		c.receiveUntil(func() bool { return c.pushes[vs] > before[vs] && c.pushes[se] > before[se] })

		Expect(c.store[vs]).NotTo(HaveKey(gone.Key()))
		Expect(c.pushes[vs]-before[vs]).To(Equal(1), "one deletion")
		Expect(c.pushes[se]-before[se]).To(Equal(1), "one update: unchanged versions are not stored again")
		expectStoreHolds(c, changed, istio131Collections)
	})

	It("would drop what adsc drops, so the interop checks above can fail", func() {
		c := &adscClient{store: map[string]map[string]storedConfig{}, pushes: map[string]int{}}
		good, err := mcp.EncodeResource(world.Of(mesh.KindGateway)[0])
		Expect(err).NotTo(HaveOccurred())
		var wrapped mcpv1alpha1.Resource
		Expect(good.UnmarshalTo(&wrapped)).To(Succeed())
		wrapped.Metadata.Name = "cloudfoundry-ingress"
		noNamespace, err := anypb.New(&wrapped)
		Expect(err).NotTo(HaveOccurred())
		wrongType := &anypb.Any{TypeUrl: "networking.istio.io/v1/Gateway", Value: good.Value}

		c.handleMCP(gwV1, []*anypb.Any{good, noNamespace, wrongType})
		Expect(c.store[gwV1]).To(HaveLen(1))
		Expect(c.warnings).To(HaveLen(2))
		Expect(c.warnings[0]).To(ContainSubstring("invalid name cloudfoundry-ingress"))
	})
})
