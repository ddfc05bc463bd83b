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

const markerURL = mcp.BuildCompleteCollection

// entry is one resource of a scripted response: its xDS name and version
// (Delta only) and its MCP body.
type entry struct {
	name, version string
	body          *anypb.Any
}

// answer is what the client sent back for a scripted response.
type answer struct {
	typeURL, nonce, errorMessage string
}

// scripted drives one transport of the fake ADS server the same way for
// both.
type scripted struct {
	// subscription returns the type URL of the client's next request.
	subscription func() string
	// respond sends a response and returns the client's answer.
	respond func(typeURL, version, nonce string, entries ...entry) answer
}

func sotwScript(fake *fakeADS) scripted {
	return scripted{
		subscription: func() string { return fake.nextRequest().TypeUrl },
		respond: func(typeURL, version, nonce string, entries ...entry) answer {
			resp := &discoveryv3.DiscoveryResponse{TypeUrl: typeURL, VersionInfo: version, Nonce: nonce}
			for _, e := range entries {
				resp.Resources = append(resp.Resources, e.body)
			}
			fake.respond(resp)
			req := fake.nextRequest()
			return answer{req.TypeUrl, req.ResponseNonce, req.ErrorDetail.GetMessage()}
		},
	}
}

func deltaScript(fake *fakeADS) scripted {
	return scripted{
		subscription: func() string { return fake.nextDeltaRequest().TypeUrl },
		respond: func(typeURL, version, nonce string, entries ...entry) answer {
			resp := &discoveryv3.DeltaDiscoveryResponse{TypeUrl: typeURL, SystemVersionInfo: version, Nonce: nonce}
			for _, e := range entries {
				resp.Resources = append(resp.Resources, &discoveryv3.Resource{Name: e.name, Version: e.version, Resource: e.body})
			}
			fake.respondDelta(resp)
			req := fake.nextDeltaRequest()
			return answer{req.TypeUrl, req.ResponseNonce, req.ErrorDetail.GetMessage()}
		},
	}
}

// entriesOf encodes the objects of kind in cfg.
func entriesOf(cfg mesh.Config, kind mesh.Kind) []entry {
	out := []entry{}
	for _, r := range cfg.Of(kind) {
		body, err := mcp.EncodeResource(r)
		Expect(err).NotTo(HaveOccurred())
		out = append(out, entry{r.Key(), r.Version, body})
	}
	return out
}

// markerOf is the one resource of a marker naming build.
func markerOf(build string) entry {
	body, err := mcp.EncodeBuildComplete(build)
	Expect(err).NotTo(HaveOccurred())
	return entry{mcp.BuildCompleteName, build, body}
}

var _ = Describe("Client following the build marker, State of the World, scripted", func() {
	describeMarkerScripted(mcpclient.TransportSotW, sotwScript)
})

var _ = Describe("Client following the build marker, Delta, scripted", func() {
	describeMarkerScripted(mcpclient.TransportDelta, deltaScript)
})

func describeMarkerScripted(transport string, script func(*fakeADS) scripted) {
	var (
		fake     *fakeADS
		s        scripted
		logger   *lagertest.TestLogger
		registry *prometheus.Registry
		rec      *recorder
		b        *builds
		world    mesh.Config
	)

	acked := func(a answer, typeURL, nonce string) {
		Expect(a).To(Equal(answer{typeURL: typeURL, nonce: nonce}))
	}
	// syncWorld answers the four collections with world.
	syncWorld := func() {
		acked(s.respond(gwV1, "g1", "n1", entriesOf(world, mesh.KindGateway)...), gwV1, "n1")
		acked(s.respond(vsV1, "v1", "n2", entriesOf(world, mesh.KindVirtualService)...), vsV1, "n2")
		acked(s.respond(drV1, "d1", "n3", entriesOf(world, mesh.KindDestinationRule)...), drV1, "n3")
		acked(s.respond(seV1, "s1", "n4", entriesOf(world, mesh.KindServiceEntry)...), seV1, "n4")
	}

	BeforeEach(func() {
		fake = newFakeADS()
		s = script(fake)
		srv, err := mcpservertest.Serve("127.0.0.1:0", fake.register)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Stop)
		logger = lagertest.NewTestLogger("test")
		registry = prometheus.NewRegistry()
		world = mcptest.World(70, "a.example.com", "b.example.com")
		cfg := mcpclient.Config{Addresses: []string{srv.Addr}, NodeID: nodeID, Transport: transport, Kinds: routingKinds}
		rec, b = startMarkingClient(cfg, logger, registry)
		var typeURLs []string
		for range 5 {
			typeURLs = append(typeURLs, s.subscription())
		}
		Expect(typeURLs).To(Equal([]string{gwV1, vsV1, drV1, seV1, markerURL}), "the marker is asked for last")
	})

	It("calls onBuildComplete after the collections of the build were handed on", func() {
		syncWorld()
		Expect(rec.count()).To(Equal(1))
		Expect(b.calls()).To(BeEmpty())
		acked(s.respond(markerURL, "b1", "n5", markerOf("b1")), markerURL, "n5")
		Expect(b.calls()).To(Equal([]int{1}))
		expectSameKinds(routingKinds, b.lastState(), world)

		By("a build that changes two collections")
		grown := mcptest.World(70, "a.example.com", "b.example.com", "c.example.com")
		acked(s.respond(vsV1, "v2", "n6", entriesOf(grown, mesh.KindVirtualService)...), vsV1, "n6")
		acked(s.respond(seV1, "s2", "n7", entriesOf(grown, mesh.KindServiceEntry)...), seV1, "n7")
		Expect(b.calls()).To(Equal([]int{1}), "not before its marker")
		acked(s.respond(markerURL, "b2", "n8", markerOf("b2")), markerURL, "n8")
		Expect(b.calls()).To(Equal([]int{1, 3}))
		Expect(objects(b.lastState(), mesh.KindServiceEntry)).To(Equal(objects(grown, mesh.KindServiceEntry)))
		Expect(mcpservertest.MetricValue(registry, "cfmesh_pilot_mcp_responses_total", map[string]string{"collection": markerURL, "result": "ack"})).To(Equal(2.0))
	})

	It("does not call onBuildComplete before the store is synced", func() {
		acked(s.respond(gwV1, "g1", "n1", entriesOf(world, mesh.KindGateway)...), gwV1, "n1")
		acked(s.respond(markerURL, "b0", "n2", markerOf("b0")), markerURL, "n2")
		Expect(b.calls()).To(BeEmpty())
		Expect(logger.LogMessages()).To(ContainElement("test.mcp-client.build-marker-before-sync"))
	})

	It("works on without the marker when the copilot answers it empty, as one from before the marker does", func() {
		acked(s.respond(markerURL, "e1", "n0"), markerURL, "n0")
		syncWorld()
		Expect(rec.count()).To(Equal(1))
		Expect(rec.last().Len()).To(Equal(world.Len()), "the marker is no mesh kind")
		Expect(b.calls()).To(BeEmpty())
		Expect(findLog(logger, "build-marker-not-served").Data).To(HaveKeyWithValue("fallback", "debounce"))
	})

	DescribeTable("NACKs a malformed marker with a clear error, calls nothing and keeps working",
		func(entries func() []entry, message string) {
			syncWorld()
			a := s.respond(markerURL, "bad", "n5", entries()...)
			Expect(a.nonce).To(Equal("n5"))
			Expect(a.errorMessage).To(And(ContainSubstring(markerURL), ContainSubstring(message)))
			Expect(b.calls()).To(BeEmpty())
			Expect(findLog(logger, "mcp-nack-sent").Data).To(HaveKeyWithValue("collection", markerURL))

			acked(s.respond(markerURL, "b2", "n6", markerOf("b2")), markerURL, "n6")
			Expect(b.calls()).To(Equal([]int{1}))
		},
		Entry("two markers", func() []entry { return []entry{markerOf("b1"), markerOf("b2")} }, "want one"),
		Entry("a mesh object", func() []entry { return entriesOf(world, mesh.KindGateway) }, "want \"cf-mesh/build\""),
		Entry("bytes that are no MCP resource", func() []entry {
			return []entry{{mcp.BuildCompleteName, "b1", &anypb.Any{TypeUrl: mcp.ResourceTypeURL, Value: []byte{0xff}}}}
		}, "unmarshal mcp resource"),
	)
}

var _ = Describe("Client without the build marker option", func() {
	It("does not ask for the marker", func() {
		fake := newFakeADS()
		srv, err := mcpservertest.Serve("127.0.0.1:0", fake.register)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Stop)
		startClient(mcpclient.Config{Addresses: []string{srv.Addr}, NodeID: nodeID, Kinds: routingKinds}, insecureCreds, lagertest.NewTestLogger("test"), nil)
		for range 4 {
			Expect(fake.nextDeltaRequest().TypeUrl).NotTo(Equal(markerURL))
		}
		Consistently(fake.deltaRequests, "300ms").ShouldNot(Receive())
	})
})

var _ = Describe("Client following the copilot's build marker, State of the World", func() {
	describeMarkerAgainstCopilot(mcpclient.TransportSotW)
})

var _ = Describe("Client following the copilot's build marker, Delta", func() {
	describeMarkerAgainstCopilot(mcpclient.TransportDelta)
})

func describeMarkerAgainstCopilot(transport string) {
	It("calls onBuildComplete once per build, after all of its collections", func() {
		world := mcptest.World(70, "a.example.com", "b.example.com")
		cp := startCopilot("127.0.0.1:0", &world)
		logger := lagertest.NewTestLogger("test")
		rec, b := startMarkingClient(mcpclient.Config{Addresses: []string{cp.addr}, NodeID: nodeID, Transport: transport}, logger, nil)
		Eventually(b.calls, "5s").Should(Equal([]int{1}))
		expectSameWorld(b.lastState(), world)

		grown := mcptest.World(20, "a.example.com", "b.example.com", "c.example.com")
		cp.server.Publish(grown)
		Eventually(func() int { return len(b.calls()) }, "5s").Should(Equal(2))
		expectSameWorld(b.lastState(), grown)
		expectSameWorld(rec.last(), grown)
		Consistently(b.calls, "300ms").Should(HaveLen(2))
	})
}
