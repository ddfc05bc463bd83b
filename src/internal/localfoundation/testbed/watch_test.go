package testbed_test

import (
	"context"
	"net"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/anypb"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/loopback"
)

// xdsFixture is a go-control-plane ADS server with one LinearCache per
// type, as the pilot has, restartable on the same address.
type xdsFixture struct {
	address string
	caches  map[string]*cachev3.LinearCache
	stop    func()
}

func (x *xdsFixture) start(resources map[string]map[string]types.Resource) {
	x.caches = map[string]*cachev3.LinearCache{}
	mux := &cachev3.MuxCache{
		Classify:      func(r *cachev3.Request) string { return r.GetTypeUrl() },
		ClassifyDelta: func(r *cachev3.DeltaRequest) string { return r.GetTypeUrl() },
		Caches:        map[string]cachev3.Cache{},
	}
	for _, t := range []string{resourcev3.ListenerType, resourcev3.RouteType, resourcev3.ClusterType, resourcev3.EndpointType} {
		c := cachev3.NewLinearCache(t)
		c.SetResources(resources[t])
		x.caches[t], mux.Caches[t] = c, c
	}
	ctx, cancel := context.WithCancel(context.Background())
	server := grpc.NewServer()
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(server, serverv3.NewServer(ctx, mux, nil))
	lis, err := net.Listen("tcp", x.address)
	Expect(err).NotTo(HaveOccurred())
	go func() { _ = server.Serve(lis) }()
	x.stop = func() { server.Stop(); cancel() }
}

// current reads back what the caches hold, to restart with it.
func (x *xdsFixture) current() map[string]map[string]types.Resource {
	out := map[string]map[string]types.Resource{}
	for t, c := range x.caches {
		out[t] = c.GetResources()
	}
	return out
}

func apiListener(host, routeName string) *listenerv3.Listener {
	hcm, err := anypb.New(&hcmv3.HttpConnectionManager{RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{
		Rds: &hcmv3.Rds{RouteConfigName: routeName, ConfigSource: &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_Ads{}}},
	}})
	Expect(err).NotTo(HaveOccurred())
	return &listenerv3.Listener{Name: host, ApiListener: &listenerv3.ApiListener{ApiListener: hcm}}
}

func routeConfig(name, host, cluster string) *routev3.RouteConfiguration {
	return &routev3.RouteConfiguration{Name: name, VirtualHosts: []*routev3.VirtualHost{{
		Name: host, Domains: []string{host},
		Routes: []*routev3.Route{{
			Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
			Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cluster}}},
		}},
	}}}
}

func edsCluster(name string) *clusterv3.Cluster {
	return &clusterv3.Cluster{Name: name, ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		EdsClusterConfig: &clusterv3.Cluster_EdsClusterConfig{EdsConfig: &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_Ads{}}}}
}

func loadAssignment(cluster string, ports ...uint32) *endpointv3.ClusterLoadAssignment {
	la := &endpointv3.LocalityLbEndpoints{}
	for _, p := range ports {
		la.LbEndpoints = append(la.LbEndpoints, &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
			Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
				Address: "127.0.0.1", PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: p}}}},
		}}})
	}
	return &endpointv3.ClusterLoadAssignment{ClusterName: cluster, Endpoints: []*endpointv3.LocalityLbEndpoints{la}}
}

var _ = Describe("Watcher", func() {
	var (
		xds     *xdsFixture
		watcher *testbed.Watcher
	)

	holds := func(listeners, routes, clusters, endpoints int) func(Gomega) {
		return func(g Gomega) {
			latest := watcher.Latest()
			g.Expect(latest[resourcev3.ListenerType].Resources).To(Equal(listeners))
			g.Expect(latest[resourcev3.RouteType].Resources).To(Equal(routes))
			g.Expect(latest[resourcev3.ClusterType].Resources).To(Equal(clusters))
			g.Expect(latest[resourcev3.EndpointType].Endpoints).To(Equal(endpoints))
		}
	}

	BeforeEach(func() {
		xds = &xdsFixture{address: loopback.FreeAddress()}
		xds.start(map[string]map[string]types.Resource{
			resourcev3.ListenerType: {"app.example.com": apiListener("app.example.com", "rc-app")},
			resourcev3.RouteType:    {"rc-app": routeConfig("rc-app", "app.example.com", "c1")},
			resourcev3.ClusterType:  {"c1": edsCluster("c1")},
			resourcev3.EndpointType: {"c1": loadAssignment("c1", 1001, 1002)},
		})
		DeferCleanup(func() { xds.stop() })
		watcher = testbed.Watch(xds.address, testbed.MeshNode("watcher"))
		DeferCleanup(watcher.Stop)
		Eventually(holds(1, 1, 1, 2), 10*time.Second).Should(Succeed())
	})

	It("follows listeners to route configurations and clusters to load assignments, keeping what partial responses leave out", func() {
		Expect(xds.caches[resourcev3.ClusterType].UpdateResource("c2", edsCluster("c2"))).To(Succeed())
		Expect(xds.caches[resourcev3.EndpointType].UpdateResource("c2", loadAssignment("c2", 2001))).To(Succeed())
		Eventually(holds(1, 1, 2, 3), 10*time.Second).Should(Succeed())

		baseline, since := watcher.Latest(), time.Now()
		Expect(xds.caches[resourcev3.EndpointType].UpdateResource("c1", loadAssignment("c1", 1001))).To(Succeed())
		Eventually(holds(1, 1, 2, 2), 10*time.Second).Should(Succeed(), "c2's endpoint is still held though only c1 was sent")
		shrinks := watcher.Shrinks(baseline, since)
		Expect(shrinks).To(ConsistOf(HaveField("Endpoints", 2)))
		Expect(shrinks[0].String()).To(ContainSubstring("ClusterLoadAssignment: 2 resources, 2 endpoints"))
		Expect(watcher.Changes(baseline, since)).To(HaveLen(1))
	})

	It("reports a changed resource, not an unchanged one", func() {
		baseline, since := watcher.Latest(), time.Now()
		Expect(xds.caches[resourcev3.RouteType].UpdateResource("rc-app", routeConfig("rc-app", "app.example.com", "c1"))).To(Succeed())
		Consistently(func() []testbed.Observation { return watcher.Changes(baseline, since) }, time.Second).Should(BeEmpty())
		Expect(xds.caches[resourcev3.RouteType].UpdateResource("rc-app", routeConfig("rc-app", "app.example.com", "c2"))).To(Succeed())
		Eventually(func() []testbed.Observation { return watcher.Changes(baseline, since) }, 10*time.Second).
			Should(ConsistOf(HaveField("TypeURL", resourcev3.RouteType)))
		Expect(watcher.Shrinks(baseline, since)).To(BeEmpty())
	})

	It("reconnects to a restarted server and sees the same content as no change, whatever the versions", func() {
		baseline, since := watcher.Latest(), time.Now()
		resources := xds.current()
		xds.stop()
		Eventually(func() int { n, _ := watcher.Disconnects(); return n }, 10*time.Second).Should(BeNumerically(">=", 1))
		xds.start(resources)
		Eventually(func() int { return len(watcher.Since(since)) }, 10*time.Second).Should(BeNumerically(">=", 4))
		Expect(watcher.Changes(baseline, since)).To(BeEmpty())
		Expect(watcher.Shrinks(baseline, since)).To(BeEmpty())
	})
})
