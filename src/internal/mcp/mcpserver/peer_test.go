package mcpserver_test

import (
	"context"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	sotwv3 "github.com/envoyproxy/go-control-plane/pkg/client/sotw/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"code.cloudfoundry.org/cf-mesh/internal/mcp"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/internal/mcptest"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver/mcpservertest"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

var _ = Describe("Server with go-control-plane's SotW ADS client as the peer", func() {
	It("serves, takes ACKs and NACKs, and pushes changes", func() {
		registry := prometheus.NewRegistry()
		server := mcpserver.New(lagertest.NewTestLogger("test"), registry)
		world := mcptest.World(90, "a.example.com")
		server.Publish(world)
		srv, err := mcpservertest.Serve("127.0.0.1:0", server.Register)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Stop)

		conn, err := grpc.NewClient(srv.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(conn.Close)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		DeferCleanup(cancel)

		client := sotwv3.NewADSClient(ctx, &corev3.Node{Id: "router~10.0.0.1~gcp.test~test.svc.cluster.local"}, vsV1)
		Expect(client.InitConnect(conn)).To(Succeed())
		resp, err := client.Fetch()
		Expect(err).NotTo(HaveOccurred())
		decoded, err := mcp.DecodeCollection(vsV1, resp.Resources)
		Expect(err).NotTo(HaveOccurred())
		Expect(decoded).To(HaveLen(1))
		Expect(decoded[0].Version).To(Equal(world.Of(mesh.KindVirtualService)[0].Version))
		Expect(client.Ack()).To(Succeed())

		changed := mcptest.World(40, "a.example.com")
		server.Publish(changed)
		resp, err = client.Fetch()
		Expect(err).NotTo(HaveOccurred())
		decoded, err = mcp.DecodeCollection(vsV1, resp.Resources)
		Expect(err).NotTo(HaveOccurred())
		Expect(decoded[0].Version).To(Equal(changed.Of(mesh.KindVirtualService)[0].Version))

		Expect(client.Nack("rejected by the test")).To(Succeed())
		Eventually(func() float64 {
			return mcpservertest.MetricValue(registry, "cfmesh_copilot_mcp_nacks_total", map[string]string{"collection": vsV1})
		}, "5s").Should(Equal(1.0))
	})
})
