package xdsserver

import (
	"strings"
	"unsafe"

	"code.cloudfoundry.org/lager/v3/lagertest"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

var _ = Describe("requestedNames", func() {
	const clusterA, clusterB = "outbound|8080||orders.apps.internal", "outbound|8080||payments.apps.internal"
	var (
		server *Server
		stream = streamKey{id: 7}
		delta  = streamKey{id: 7, delta: true}
	)
	// decoded is a name as gRPC decodes it: a string of its own.
	decoded := func(name string) string { return strings.Clone(name) }
	held := func(name string) string {
		c := server.caches.gatewayEndpoints
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.resources[name].name
	}
	sameString := func(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }

	BeforeEach(func() {
		server = New(lagertest.NewTestLogger("names"), prometheus.NewRegistry(), "boot")
		Expect(server.caches.gatewayEndpoints.UpdateResources(map[string]types.Resource{
			decoded(clusterA): &endpointv3.ClusterLoadAssignment{ClusterName: clusterA},
			decoded(clusterB): &endpointv3.ClusterLoadAssignment{ClusterName: clusterB},
		}, nil)).To(Succeed())
		// Admitted gateway streams, as onRequest records them.
		server.proxies.add(stream, "router~127.0.0.1~gw~cf.internal", xdsresources.ClassGateway, "", false)
		server.proxies.add(delta, "router~127.0.0.1~gw~cf.internal", xdsresources.ClassGateway, "", true)
	})

	It("makes a State-of-the-World request's names the strings the cache holds", func() {
		names := server.sotwNames(stream, resourcev3.EndpointType, []string{decoded(clusterA), decoded(clusterB), "unknown"})
		Expect(names).To(Equal([]string{clusterA, clusterB, "unknown"}))
		Expect(sameString(names[0], held(clusterA))).To(BeTrue())
		Expect(sameString(names[1], held(clusterB))).To(BeTrue())

		By("an ACK naming the same resources takes the previous slice")
		again := server.sotwNames(stream, resourcev3.EndpointType, []string{decoded(clusterA), decoded(clusterB), "unknown"})
		Expect(unsafe.SliceData(again)).To(BeIdenticalTo(unsafe.SliceData(names)))

		By("a changed subscription is looked up again")
		changed := server.sotwNames(stream, resourcev3.EndpointType, []string{decoded(clusterB)})
		Expect(changed).To(Equal([]string{clusterB}))
		Expect(unsafe.SliceData(changed)).NotTo(BeIdenticalTo(unsafe.SliceData(names)))
		Expect(sameString(changed[0], held(clusterB))).To(BeTrue())
	})

	It("keeps the cache's string when a resource changes, so subscriptions keep sharing it", func() {
		before := held(clusterA)
		Expect(server.caches.gatewayEndpoints.UpdateResources(map[string]types.Resource{
			decoded(clusterA): &endpointv3.ClusterLoadAssignment{ClusterName: clusterA, Endpoints: []*endpointv3.LocalityLbEndpoints{{}}},
		}, nil)).To(Succeed())
		Expect(sameString(held(clusterA), before)).To(BeTrue())
	})

	It("makes a Delta request's subscribed names the cache's strings", func() {
		names := []string{decoded(clusterA), "unknown"}
		server.shareNames(delta, resourcev3.EndpointType, names)
		Expect(sameString(names[0], held(clusterA))).To(BeTrue())
		Expect(names[1]).To(Equal("unknown"))
	})

	It("leaves names of a stream it did not admit alone, and forgets a closed stream", func() {
		names := []string{decoded(clusterA)}
		Expect(server.sotwNames(streamKey{id: 8}, resourcev3.EndpointType, names)).To(Equal(names))
		Expect(sameString(names[0], held(clusterA))).To(BeFalse())

		server.sotwNames(stream, resourcev3.EndpointType, []string{decoded(clusterA)})
		Expect(server.names.last).To(HaveKey(stream))
		server.names.forget(stream)
		Expect(server.names.last).NotTo(HaveKey(stream))
	})
})
