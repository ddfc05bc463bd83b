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
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/xdsserver"
)

var _ = Describe("Delta ADS, as Envoy gateways may speak it", func() {
	It("serves a gateway's listeners and sends only the endpoints that changed", func() {
		server := xdsserver.New(lagertest.NewTestLogger("xds"), prometheus.NewRegistry(), "boot")
		endpoints := backendSet{"v1": {{Address: "10.0.0.1", Port: 61001}}, "v2": {{Address: "10.0.0.2", Port: 61002}}}
		Expect(server.Update(resources(shopIR(80, 20, endpoints)))).To(Succeed())
		address := serveUntilSpecEnds(server.Serve)

		conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		streamCtx, stop := context.WithTimeout(context.Background(), 30*time.Second)
		defer stop()
		stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).DeltaAggregatedResources(streamCtx)
		Expect(err).NotTo(HaveOccurred())
		node := &corev3.Node{Id: "router~127.0.0.1~delta-gateway~cf.internal"}

		Expect(stream.Send(&discoveryv3.DeltaDiscoveryRequest{Node: node, TypeUrl: resourcev3.ListenerType})).To(Succeed())
		resp, err := stream.Recv()
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.GetResources()).To(ConsistOf(HaveField("Name", "0.0.0.0_80")))
		Expect(stream.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resourcev3.ListenerType, ResponseNonce: resp.GetNonce()})).To(Succeed())

		v1, v2 := envoyir.ClusterName(8080, "v1", host), envoyir.ClusterName(8080, "v2", host)
		Expect(stream.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resourcev3.EndpointType, ResourceNamesSubscribe: []string{v1, v2}})).To(Succeed())
		resp, err = stream.Recv()
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.GetResources()).To(HaveLen(2))
		Expect(stream.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resourcev3.EndpointType, ResponseNonce: resp.GetNonce()})).To(Succeed())

		endpoints["v2"] = append(endpoints["v2"], envoyir.Endpoint{Address: "10.0.0.3", Port: 61003})
		Expect(server.Update(resources(shopIR(80, 20, endpoints)))).To(Succeed())
		resp, err = stream.Recv()
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.GetTypeUrl()).To(Equal(resourcev3.EndpointType), "an endpoint change touches only EDS")
		Expect(resp.GetResources()).To(ConsistOf(HaveField("Name", v2)))
	})
})
