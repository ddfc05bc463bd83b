package xdsserver_test

import (
	"context"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/xdsserver"
)

var _ = Describe("Unanswered endpoints-first responses (ADR 20, third amendment)", func() {
	var (
		server  *xdsserver.Server
		address string
		v1      = envoyir.ClusterName(8080, "v1", host)
		config  = func(addresses ...string) envoyir.IR {
			var eps []envoyir.Endpoint
			for _, a := range addresses {
				eps = append(eps, envoyir.Endpoint{Address: a, Port: 8080})
			}
			return shopIR(80, 20, backendSet{"v1": eps})
		}
	)

	BeforeEach(func() {
		server = xdsserver.New(lagertest.NewTestLogger("xds"), prometheus.NewRegistry(), "boot-1")
		address = serveUntilSpecEnds(server.Serve)
		Expect(server.UpdateGeneration(resources(config("10.0.0.1")), 1)).To(Succeed())
	})

	connect := func(name string) *gateway {
		gw := &gateway{adsClient: newADSClient(address, "router~127.0.0.1~"+name+"~cf.internal", nil)}
		DeferCleanup(gw.close)
		gw.responses, _ = gw.adsClient.responses()
		gw.request(resourcev3.EndpointType, "", "", v1)
		Eventually(gw.responses, 10*time.Second).Should(Receive(&gw.last))
		gw.ack()
		return gw
	}
	received := func(gw *gateway) {
		GinkgoHelper()
		Eventually(gw.responses, 10*time.Second).Should(Receive(&gw.last))
	}
	unanswered := func() int {
		n, _ := server.UnansweredEndpointsFirst()
		return n
	}

	It("counts each response of an endpoints-first update until its proxy answers it or goes", func() {
		a, b, c := connect("a"), connect("b"), connect("c")
		Expect(unanswered()).To(BeZero())

		By("not counting a full update's responses")
		Expect(server.UpdateGeneration(resources(config("10.0.0.1", "10.0.0.2")), 2)).To(Succeed())
		for _, gw := range []*gateway{a, b, c} {
			received(gw)
		}
		Consistently(unanswered, 200*time.Millisecond).Should(BeZero())
		for _, gw := range []*gateway{a, b, c} {
			gw.ack()
		}

		By("counting an endpoints-first update's responses as they are sent")
		pushed := time.Now()
		Expect(server.UpdateEndpoints(resources(config("10.0.0.3")), 3)).To(BeNumerically(">", 0))
		for _, gw := range []*gateway{a, b, c} {
			received(gw)
		}
		Eventually(unanswered, 10*time.Second).Should(Equal(3))
		_, last := server.UnansweredEndpointsFirst()
		Expect(last).To(BeTemporally("~", pushed, time.Second))

		By("no longer counting an ACKed, a NACKed and a closed one")
		a.ack()
		Eventually(unanswered, 10*time.Second).Should(Equal(2))
		b.nack("rejected on purpose")
		Eventually(unanswered, 10*time.Second).Should(Equal(1))
		c.close()
		Eventually(unanswered, 10*time.Second).Should(BeZero())
	})

	It("no longer counts a response the next one superseded (Delta)", func() {
		conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
		defer stop()
		stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).DeltaAggregatedResources(ctx)
		Expect(err).NotTo(HaveOccurred())
		node := &corev3.Node{Id: "router~127.0.0.1~delta-gateway~cf.internal"}
		Expect(stream.Send(&discoveryv3.DeltaDiscoveryRequest{Node: node, TypeUrl: resourcev3.EndpointType, ResourceNamesSubscribe: []string{v1}})).To(Succeed())
		resp, err := stream.Recv()
		Expect(err).NotTo(HaveOccurred())
		Expect(stream.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resourcev3.EndpointType, ResponseNonce: resp.GetNonce()})).To(Succeed())

		Expect(server.UpdateEndpoints(resources(config("10.0.0.3")), 2)).To(BeNumerically(">", 0))
		_, err = stream.Recv()
		Expect(err).NotTo(HaveOccurred())
		Eventually(unanswered, 10*time.Second).Should(Equal(1))

		v2 := envoyir.ClusterName(8080, "v2", host)
		Expect(stream.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resourcev3.EndpointType, ResourceNamesSubscribe: []string{v2}})).To(Succeed(), "no ACK")
		resp, err = stream.Recv()
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.GetResources()).To(ConsistOf(HaveField("Name", v2)))
		Eventually(unanswered, 10*time.Second).Should(BeZero())
	})
})

// gateway is a SotW gateway subscribed to one load assignment.
type gateway struct {
	*adsClient
	responses <-chan *discoveryv3.DiscoveryResponse
	last      *discoveryv3.DiscoveryResponse
}

// ack answers the last response with an ACK.
func (gw *gateway) ack() {
	gw.request(gw.last.GetTypeUrl(), gw.last.GetVersionInfo(), gw.last.GetNonce(), gw.names()...)
}

// nack answers the last response with a NACK: the version it had before,
// and why.
func (gw *gateway) nack(reason string) {
	Expect(gw.stream.Send(&discoveryv3.DiscoveryRequest{
		Node: gw.node, TypeUrl: gw.last.GetTypeUrl(), ResponseNonce: gw.last.GetNonce(), ResourceNames: gw.names(),
		ErrorDetail: &statuspb.Status{Code: 3, Message: reason},
	})).To(Succeed())
}

func (gw *gateway) names() []string {
	return []string{envoyir.ClusterName(8080, "v1", host)}
}
