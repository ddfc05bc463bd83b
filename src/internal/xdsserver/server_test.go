package xdsserver_test

import (
	"context"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/proxyless"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
	"code.cloudfoundry.org/cf-mesh/internal/xdsserver"
)

var _ = Describe("Server", func() {
	var (
		server   *xdsserver.Server
		registry *prometheus.Registry
		address  string
		backends map[string]*backend.Backend
	)

	endpointsOf := func(ids ...string) []envoyir.Endpoint {
		var eps []envoyir.Endpoint
		for _, id := range ids {
			eps = append(eps, envoyir.Endpoint{Address: "127.0.0.1", Port: backends[id].Port()})
		}
		return eps
	}

	BeforeEach(func() {
		backends = map[string]*backend.Backend{}
		for _, id := range []string{"v1-a", "v1-b", "v2-a"} {
			b, err := backend.Start(id, "127.0.0.1:0")
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(b.Stop)
			backends[id] = b
		}
		registry = prometheus.NewRegistry()
		server = xdsserver.New(lagertest.NewTestLogger("xds"), registry, "boot-1")
		address = serveUntilSpecEnds(server.Serve)
	})

	It("answers nothing before the first update", func() {
		gw := newADSClient(address, "router~127.0.0.1~gw~cf.internal", nil)
		defer gw.close()
		gw.request(resourcev3.ListenerType, "", "")
		responses, _ := gw.responses()
		Consistently(responses, 500*time.Millisecond).ShouldNot(Receive())

		Expect(server.Update(resources(shopIR(80, 20, backendSet{"v1": endpointsOf("v1-a")})))).To(Succeed())
		Eventually(responses, 10*time.Second).Should(Receive())
	})

	It("splits a proxyless client's calls by weight and follows weight and endpoint changes", func() {
		Expect(server.Update(resources(shopIR(80, 20, backendSet{
			"v1": endpointsOf("v1-a", "v1-b"), "v2": endpointsOf("v2-a")})))).To(Succeed())
		conn, err := proxyless.Dial(address, "client-1", host)
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()

		counts, err := proxyless.Split(ctx, conn, 1000)
		Expect(err).NotTo(HaveOccurred())
		Expect(counts["v1-a"] + counts["v1-b"]).To(BeNumerically("~", 800, 50))
		Expect(counts["v2-a"]).To(BeNumerically("~", 200, 50))

		Expect(server.Update(resources(shopIR(20, 80, backendSet{
			"v1": endpointsOf("v1-a", "v1-b"), "v2": endpointsOf("v2-a")})))).To(Succeed())
		Eventually(func() int {
			counts, _ := proxyless.Split(ctx, conn, 500)
			return counts["v2-a"]
		}, 20*time.Second).Should(BeNumerically("~", 400, 40))

		Expect(server.Update(resources(shopIR(20, 80, backendSet{
			"v1": endpointsOf("v1-a"), "v2": endpointsOf("v2-a")})))).To(Succeed())
		Eventually(func() map[string]int {
			counts, _ := proxyless.Split(ctx, conn, 200)
			return counts
		}, 20*time.Second).ShouldNot(HaveKey("v1-b"))

		Expect(metricValue(registry, "cfmesh_pilot_xds_connected_proxies", "mesh")).To(BeEquivalentTo(1))
		Expect(metricValue(registry, "cfmesh_pilot_xds_convergence_seconds", "type.googleapis.com/envoy.config.route.v3.RouteConfiguration")).To(BeNumerically(">=", 1),
			"the weight change's route configuration was ACKed and timed")
		Expect(metricValue(registry, "cfmesh_pilot_xds_convergence_seconds", "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment")).To(BeNumerically(">=", 1),
			"the endpoint change's load assignment was ACKed and timed")
		Expect(metricValue(registry, "cfmesh_pilot_xds_nacks_total", "")).To(BeZero(), "grpc-go accepted every resource")
	})

	It("serves gateways their listeners on a wildcard request", func() {
		Expect(server.Update(resources(shopIR(80, 20, backendSet{"v1": endpointsOf("v1-a")})))).To(Succeed())
		gw := newADSClient(address, "router~127.0.0.1~gw~cf.internal", nil)
		defer gw.close()
		gw.request(resourcev3.ListenerType, "", "")
		responses, _ := gw.responses()
		var resp *discoveryv3.DiscoveryResponse
		Eventually(responses, 10*time.Second).Should(Receive(&resp))
		Expect(resp.GetResources()).To(HaveLen(1))
		l := &listenerv3.Listener{}
		Expect(resp.GetResources()[0].UnmarshalTo(l)).To(Succeed())
		Expect(l.GetName()).To(Equal("0.0.0.0_80"))

		By("not pushing again when an update changes nothing")
		gw.request(resourcev3.ListenerType, resp.GetVersionInfo(), resp.GetNonce())
		Expect(server.Update(resources(shopIR(80, 20, backendSet{"v1": endpointsOf("v1-a")})))).To(Succeed())
		Consistently(responses, 500*time.Millisecond).ShouldNot(Receive())

		By("not touching listeners when only endpoints change")
		Expect(server.Update(resources(shopIR(80, 20, backendSet{"v1": endpointsOf("v1-a", "v1-b")})))).To(Succeed())
		Consistently(responses, 500*time.Millisecond).ShouldNot(Receive())
	})

	It("sends endpoints first for the load assignments it serves, and keeps the newest config's (ADR 20)", func() {
		before := resources(shopIR(80, 20, backendSet{"v1": endpointsOf("v1-a")}))
		sent, err := server.UpdateEndpoints(before, 1)
		Expect(err).NotTo(HaveOccurred())
		Expect(sent).To(BeZero(), "nothing is served before the first update")
		Expect(server.UpdateGeneration(before, 1)).To(Succeed())
		v1 := envoyir.ClusterName(8080, "v1", host)
		gw := newADSClient(address, "router~127.0.0.1~gw~cf.internal", nil)
		defer gw.close()
		gw.request(resourcev3.EndpointType, "", "", v1)
		responses, _ := gw.responses()
		var resp *discoveryv3.DiscoveryResponse
		Eventually(responses, 10*time.Second).Should(Receive(&resp))
		gw.request(resourcev3.EndpointType, resp.GetVersionInfo(), resp.GetNonce(), v1)
		endpointsIn := func(resp *discoveryv3.DiscoveryResponse) int {
			la := &endpointv3.ClusterLoadAssignment{}
			Expect(resp.GetResources()[0].UnmarshalTo(la)).To(Succeed())
			return len(la.GetEndpoints()[0].GetLbEndpoints())
		}

		By("sending the load assignments of config 3 before config 2's full update lands")
		after := resources(shopIR(80, 20, backendSet{"v1": endpointsOf("v1-a", "v1-b")}))
		sent, err = server.UpdateEndpoints(after, 3)
		Expect(err).NotTo(HaveOccurred())
		Expect(sent).To(Equal(2), "v1 for gateways and for mesh clients; v2 is unchanged")
		Eventually(responses, 10*time.Second).Should(Receive(&resp))
		Expect(endpointsIn(resp)).To(Equal(2))
		gw.request(resourcev3.EndpointType, resp.GetVersionInfo(), resp.GetNonce(), v1)

		Expect(server.UpdateGeneration(resources(shopIR(80, 20, backendSet{"v1": endpointsOf("v1-a")})), 2)).To(Succeed())
		Consistently(responses, 500*time.Millisecond).ShouldNot(Receive(), "config 2's endpoints are older than what is served")

		Expect(server.UpdateGeneration(after, 3)).To(Succeed())
		Consistently(responses, 500*time.Millisecond).ShouldNot(Receive(), "config 3's full update finds them current")

		By("dropping an endpoints-first update older than the full update served, and adding no load assignment a class is not served")
		Expect(server.UpdateEndpoints(before, 3)).To(BeZero())
		unserved := resources(shopIR(80, 20, backendSet{"v1": endpointsOf("v1-a")}))
		unserved.GatewayEndpoints = map[string]*endpointv3.ClusterLoadAssignment{"outbound|8080||elsewhere": after.GatewayEndpoints[v1]}
		unserved.MeshEndpoints, unserved.SidecarEndpoints = nil, nil
		Expect(server.UpdateEndpoints(unserved, 4)).To(BeZero())
		Consistently(responses, 500*time.Millisecond).ShouldNot(Receive())

		By("serving the next full update's endpoints once no newer endpoints-first update holds them")
		Expect(server.UpdateGeneration(before, 5)).To(Succeed())
		Eventually(responses, 10*time.Second).Should(Receive(&resp))
		Expect(endpointsIn(resp)).To(Equal(1))
	})

	It("takes endpoints-first updates while full updates run, and serves the newest config's endpoints (ADR 20)", func() {
		one := resources(shopIR(80, 20, backendSet{"v1": endpointsOf("v1-a")}))
		two := resources(shopIR(80, 20, backendSet{"v1": endpointsOf("v1-a", "v1-b")}))
		Expect(server.UpdateGeneration(one, 1)).To(Succeed())
		done := make(chan struct{})
		go func() {
			defer GinkgoRecover()
			defer close(done)
			for g := uint64(2); g < 60; g += 2 {
				Expect(server.UpdateGeneration(one, g)).To(Succeed())
			}
		}()
		for g := uint64(3); g < 60; g += 2 {
			_, err := server.UpdateEndpoints(two, g)
			Expect(err).NotTo(HaveOccurred())
		}
		<-done
		Expect(server.UpdateEndpoints(two, 60)).To(BeZero(), "generation 59's endpoints are served: newer than the last full update's")
		Expect(server.UpdateEndpoints(one, 61)).To(Equal(2))
	})

	It("keeps a newer config's endpoints-first load assignments of every class through an older config's full update", func() {
		sidecarIR := func(ids ...string) xdsresources.Resources {
			ir := shopIR(80, 20, backendSet{"v1": endpointsOf(ids...)})
			ir.SidecarHosts = []string{host}
			return resources(ir)
		}
		one, two, three := sidecarIR("v1-a"), sidecarIR("v1-a", "v1-b"), sidecarIR("v1-b")
		Expect(one.SidecarEndpoints).NotTo(BeEmpty())
		Expect(server.UpdateGeneration(one, 1)).To(Succeed())
		Expect(server.UpdateEndpoints(three, 3)).To(Equal(3), "v1 for gateways, mesh clients and sidecars")
		Expect(server.UpdateGeneration(two, 2)).To(Succeed())
		Expect(server.UpdateEndpoints(three, 4)).To(BeZero(), "config 3's load assignments are still served")
	})

	It("refuses proxies it cannot classify, with the reason", func() {
		Expect(server.Update(resources(shopIR(80, 20, nil)))).To(Succeed())
		stranger := newADSClient(address, "waypoint~10.255.0.1~instance-guid~x", nil)
		defer stranger.close()
		stranger.request(resourcev3.ListenerType, "", "")
		_, errs := stranger.responses()
		var err error
		Eventually(errs, 10*time.Second).Should(Receive(&err))
		Expect(status.Code(err)).To(Equal(codes.InvalidArgument))
		Expect(err).To(MatchError(ContainSubstring(`type "waypoint" is neither router nor sidecar`)))
		Expect(metricValue(registry, "cfmesh_pilot_xds_rejected_proxies_total", "unclassified")).To(BeEquivalentTo(1))
	})
})
