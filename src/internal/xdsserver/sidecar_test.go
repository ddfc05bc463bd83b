package xdsserver_test

import (
	"runtime"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
	"code.cloudfoundry.org/cf-mesh/internal/xdsserver"
)

const (
	appOrders = "bbbbbbbb-2222-4222-8222-000000000002"
	appOther  = "cccccccc-3333-4333-8333-000000000003"
	// The test's connections all come from 127.0.0.1: it plays the container
	// of an orders instance; 127.0.0.2 is another app's container.
	ordersNode = "sidecar~127.0.0.1~0a1b2c3d-0000-4000-8000-00000000000b~x"
)

// meshIR has an internal route served by orders at 127.0.0.1 and another
// app at 127.0.0.2, each with an inbound surface.
func meshIR() envoyir.IR {
	ir := shopIR(100, 0, backendSet{"v1": {{Address: "127.0.0.1", Port: 8080}}})
	ir.SidecarHosts = []string{host}
	ir.Workloads = envoyir.Workloads{ByContainerIP: map[string]string{"127.0.0.1": appOrders, "127.0.0.2": appOther}}
	ir.Inbound = []envoyir.InboundApp{
		{AppGUID: appOrders, Ports: []uint32{8080}, Authorization: &envoyir.Authorization{}},
		{AppGUID: appOther, Ports: []uint32{8080}},
	}
	return ir
}

func meshResources() xdsresources.Resources {
	res, errs := xdsresources.Translate(meshIR(), xdsresources.Options{Mesh: xdsresources.MeshOptions{MTLS: true, InstanceIdentityCA: "ca"}})
	Expect(errs).To(BeEmpty())
	return res
}

func names(resp *discoveryv3.DiscoveryResponse, into proto.Message) []string {
	var out []string
	for _, a := range resp.GetResources() {
		m := proto.Clone(into)
		Expect(a.UnmarshalTo(m)).To(Succeed())
		out = append(out, m.(interface{ GetName() string }).GetName())
	}
	return out
}

var _ = Describe("Serving container sidecars", func() {
	var (
		server     *xdsserver.Server
		registry   *prometheus.Registry
		containers string
	)

	BeforeEach(func() {
		registry = prometheus.NewRegistry()
		server = xdsserver.New(lagertest.NewTestLogger("xds"), registry, "boot-1")
		containers = serveUntilSpecEnds(server.ServeContainers)
		Expect(server.Update(meshResources())).To(Succeed())
	})

	refusal := func(nodeID string, metadata map[string]any) error {
		c := newADSClient(containers, nodeID, metadata)
		defer c.close()
		// A stream refused when it opens may be gone before this is sent.
		_ = c.stream.Send(&discoveryv3.DiscoveryRequest{Node: c.node, TypeUrl: resourcev3.ListenerType})
		_, errs := c.responses()
		var err error
		Eventually(errs, 10*time.Second).Should(Receive(&err))
		return err
	}

	It("serves a sidecar its own listeners and routes, bound to its container IP", func() {
		sidecar := newADSClient(containers, ordersNode, nil)
		defer sidecar.close()
		responses, _ := sidecar.responses()
		sidecar.request(resourcev3.ListenerType, "", "")
		var resp *discoveryv3.DiscoveryResponse
		Eventually(responses, 10*time.Second).Should(Receive(&resp))
		Expect(names(resp, &listenerv3.Listener{})).To(ConsistOf("virtualOutbound", "0.0.0.0_8080", "127.0.0.1_8080"))

		By("answering its route configurations by name, and only its own")
		sidecar.request(resourcev3.RouteType, "", "", "8080", "inbound|8080|"+appOrders, "inbound|8080|"+appOther, "http.80")
		Eventually(responses, 10*time.Second).Should(Receive(&resp))
		Expect(names(resp, &routev3.RouteConfiguration{})).To(ConsistOf("8080", "inbound|8080|"+appOrders))
		Expect(metricValue(registry, "cfmesh_pilot_xds_sidecar_nodes", "")).To(BeEquivalentTo(1))
		Expect(server.Proxies()).To(ContainElement(SatisfyAll(
			HaveField("Node", ordersNode), HaveField("Class", xdsresources.ClassSidecar), HaveField("App", appOrders))))
	})

	It("encodes what every sidecar shares once, and forgets a sidecar's resources when it leaves", func() {
		sidecar := newADSClient(containers, ordersNode, nil)
		responses, _ := sidecar.responses()
		sidecar.request(resourcev3.ListenerType, "", "")
		Eventually(responses, 10*time.Second).Should(Receive())
		Expect(xdsserver.SharedSidecarEncodings(server)).To(Equal(5), "3 listeners, 2 route configurations")
		sidecar.close()
		Eventually(func() int { return xdsserver.SharedSidecarEncodings(server) }, 10*time.Second).Should(BeZero())
	})

	It("refuses a node ID naming another container's IP", func() {
		err := refusal("sidecar~127.0.0.2~0b0b0b0b-0000-4000-8000-00000000000b~x", nil)
		Expect(status.Code(err)).To(Equal(codes.PermissionDenied))
		Expect(err).To(MatchError(ContainSubstring("node IP 127.0.0.2 is not the connection's address 127.0.0.1")))
		Expect(metricValue(registry, "cfmesh_pilot_xds_rejected_proxies_total", "address-mismatch")).To(BeEquivalentTo(1))
	})

	It("refuses an instance the mesh config does not know", func() {
		server.Update(func() xdsresources.Resources {
			ir := meshIR()
			ir.Workloads = envoyir.Workloads{}
			res, _ := xdsresources.Translate(ir, xdsresources.Options{})
			return res
		}())
		err := refusal(ordersNode, nil)
		Expect(status.Code(err)).To(Equal(codes.PermissionDenied))
		Expect(err).To(MatchError(ContainSubstring("unknown workload")))
		Expect(metricValue(registry, "cfmesh_pilot_xds_rejected_proxies_total", "unknown-workload")).To(BeEquivalentTo(1))
	})

	DescribeTable("refuses malformed node IDs, saying what is wrong",
		func(nodeID, want string) {
			err := refusal(nodeID, nil)
			Expect(status.Code(err)).To(Equal(codes.InvalidArgument))
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("too few parts", "sidecar~127.0.0.1~x", "want <type>~<ip>~<id>~<domain>"),
		Entry("not an IP", "sidecar~localhost~guid~x", "is not an IP address"),
		Entry("no workload", "sidecar~127.0.0.1~~x", "empty workload id"),
		Entry("empty", "", "want <type>~<ip>~<id>~<domain>"),
	)

	It("refuses gateways on the containers listener", func() {
		err := refusal("router~127.0.0.1~gateway-0~cf.internal", nil)
		Expect(status.Code(err)).To(Equal(codes.PermissionDenied))
		Expect(err).To(MatchError(ContainSubstring("gateways connect to the control-plane xDS address")))
	})

	It("refuses a flood of streams from one address, and forgets them when they close", func() {
		before := runtime.NumGoroutine()
		var open []*adsClient
		for range xdsserver.DefaultMaxStreamsPerPeer {
			c := newADSClient(containers, ordersNode, nil)
			responses, _ := c.responses()
			c.request(resourcev3.ListenerType, "", "")
			Eventually(responses, 10*time.Second).Should(Receive())
			open = append(open, c)
		}
		for range 20 {
			err := refusal(ordersNode, nil)
			Expect(status.Code(err)).To(Equal(codes.ResourceExhausted))
		}
		Expect(metricValue(registry, "cfmesh_pilot_xds_rejected_proxies_total", "too-many-streams")).To(BeEquivalentTo(20))
		for _, c := range open {
			c.close()
		}
		Eventually(func() float64 { return metricValue(registry, "cfmesh_pilot_xds_connected_proxies", "sidecar") }, 10*time.Second).Should(BeZero())
		Eventually(func() float64 { return metricValue(registry, "cfmesh_pilot_xds_sidecar_nodes", "") }, 10*time.Second).Should(BeZero())
		Eventually(runtime.NumGoroutine, 10*time.Second).Should(BeNumerically("<=", before+5), "no goroutine leaks")

		By("admitting the container again")
		c := newADSClient(containers, ordersNode, nil)
		defer c.close()
		responses, _ := c.responses()
		c.request(resourcev3.ListenerType, "", "")
		Eventually(responses, 10*time.Second).Should(Receive())
	})

	Describe("proxyless gRPC servers", func() {
		grpcApp := map[string]any{"GENERATOR": "grpc"}
		serverListener := "grpc/server?xds.resource.listening_address=127.0.0.1:8080"

		It("builds a server's listener on request, hides another address's, refuses a wildcard", func() {
			app := newADSClient(containers, "sidecar~127.0.0.1~app~cf.internal", grpcApp)
			defer app.close()
			responses, _ := app.responses()
			app.request(resourcev3.ListenerType, "", "", serverListener, "grpc/server?xds.resource.listening_address=127.0.0.2:8080")
			var resp *discoveryv3.DiscoveryResponse
			Eventually(responses, 10*time.Second).Should(Receive(&resp))
			Expect(names(resp, &listenerv3.Listener{})).To(ConsistOf(serverListener))

			app.request(resourcev3.RouteType, "", "", "inbound|8080|"+appOrders, "inbound|8080|"+appOther)
			Eventually(responses, 10*time.Second).Should(Receive(&resp))
			Expect(names(resp, &routev3.RouteConfiguration{})).To(ConsistOf("inbound|8080|" + appOrders))

			Expect(refusal("sidecar~127.0.0.1~app-2~cf.internal", grpcApp)).To(MatchError(ContainSubstring("ask for listeners and routes by name")))
		})

		It("serves a server that asked before its registration reached the pilot once it does, on the same stream", func() {
			unregistered := meshIR()
			delete(unregistered.Workloads.ByContainerIP, "127.0.0.1")
			res, errs := xdsresources.Translate(unregistered, xdsresources.Options{Mesh: xdsresources.MeshOptions{MTLS: true, InstanceIdentityCA: "ca"}})
			Expect(errs).To(BeEmpty())
			Expect(server.Update(res)).To(Succeed())

			app := newADSClient(containers, "sidecar~127.0.0.1~app~cf.internal", grpcApp)
			defer app.close()
			responses, _ := app.responses()
			app.request(resourcev3.ListenerType, "", "", serverListener)
			var served []string
			ackLatest := func() []string { // the listeners the app holds, each response ACKed
				select {
				case resp := <-responses:
					served = names(resp, &listenerv3.Listener{})
					app.request(resourcev3.ListenerType, resp.GetVersionInfo(), resp.GetNonce(), serverListener)
				default:
				}
				return served
			}
			Consistently(ackLatest, 300*time.Millisecond).Should(BeEmpty(), "nothing while the workload is unknown")

			Expect(server.Update(meshResources())).To(Succeed()) // route-emitter's registration arrives
			Eventually(ackLatest, 10*time.Second).Should(ConsistOf(serverListener))
		})
	})
})
