package xdsserver_test

import (
	"context"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/proxyless"
	"code.cloudfoundry.org/cf-mesh/internal/xdsserver"
)

// policyIR serves one host per policy under test.
func policyIR(endpoints map[string][]envoyir.Endpoint) envoyir.IR {
	cluster := func(subset string) string { return envoyir.ClusterName(8080, subset, "policy.example.com") }
	host := func(name string, routes ...envoyir.Route) envoyir.VirtualHost {
		return envoyir.VirtualHost{Name: name, ServicePorts: []uint32{8080}, Routes: routes}
	}
	to := func(subset string) []envoyir.WeightedCluster {
		return []envoyir.WeightedCluster{{Cluster: cluster(subset), Weight: 100}}
	}
	ir := envoyir.IR{MeshHosts: []envoyir.VirtualHost{
		host("canary.example.com",
			envoyir.Route{Name: "r-canary", PathPrefix: "/", Headers: []envoyir.HeaderMatch{{Name: "x-canary", Exact: "always"}}, Clusters: to("v2")},
			envoyir.Route{Name: "r", PathPrefix: "/", Clusters: to("v1")}),
		host("aborts.example.com", envoyir.Route{Name: "r", PathPrefix: "/", Clusters: to("v1"),
			Policy: envoyir.RoutePolicy{Fault: &envoyir.Fault{AbortStatus: 503, AbortPercent: 100}}}),
		host("slow.example.com", envoyir.Route{Name: "r", PathPrefix: "/", Clusters: to("v1"),
			Policy: envoyir.RoutePolicy{Fault: &envoyir.Fault{Delay: jsonduration.Duration(300 * time.Millisecond), DelayPercent: 100}}}),
		host("retries.example.com", envoyir.Route{Name: "r", PathPrefix: "/", Clusters: to("v1"),
			Policy: envoyir.RoutePolicy{Retry: &envoyir.RetryPolicy{Attempts: 3, RetryOn: "connect-failure,5xx"}}}),
	}}
	for _, subset := range []string{"v1", "v2"} {
		ir.Clusters = append(ir.Clusters, envoyir.Cluster{Name: cluster(subset), Host: "policy.example.com", Port: 8080, Subset: subset, LoadBalancing: envoyir.RoundRobin})
		ir.LoadAssignments = append(ir.LoadAssignments, envoyir.LoadAssignment{Cluster: cluster(subset), Endpoints: endpoints[subset]})
	}
	return ir
}

var _ = Describe("Route policy, as a proxyless gRPC client sees it", func() {
	var (
		address  string
		backends map[string]*backend.Backend
		ctx      context.Context
	)

	dial := func(host string) func() (string, error) {
		conn, err := proxyless.Dial(address, "policy-client", host)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(conn.Close)
		return func() (string, error) { return backend.Call(ctx, conn) }
	}

	BeforeEach(func() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
		DeferCleanup(cancel)
		backends = map[string]*backend.Backend{}
		endpoints := map[string][]envoyir.Endpoint{}
		for id, subset := range map[string]string{"v1-a": "v1", "v1-b": "v1", "v2-a": "v2"} {
			b, err := backend.Start(id, "127.0.0.1:0")
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(b.Stop)
			backends[id] = b
			endpoints[subset] = append(endpoints[subset], envoyir.Endpoint{Address: "127.0.0.1", Port: b.Port()})
		}
		server := xdsserver.New(lagertest.NewTestLogger("xds"), prometheus.NewRegistry(), "boot")
		Expect(server.Update(resources(policyIR(endpoints)))).To(Succeed())
		address = serveUntilSpecEnds(server.Serve)
	})

	It("steers requests carrying the canary header to the canary destination only", func() {
		call := dial("canary.example.com")
		for range 20 {
			Expect(call()).To(HavePrefix("v1-"))
		}
		canaryCtx := ctx
		ctx = metadata.AppendToOutgoingContext(canaryCtx, "x-canary", "always")
		for range 20 {
			Expect(call()).To(Equal("v2-a"))
		}
		ctx = canaryCtx
	})

	It("aborts requests with the configured status", func() {
		_, err := dial("aborts.example.com")()
		Expect(status.Code(err)).To(Equal(codes.Unavailable), "HTTP 503 is UNAVAILABLE to gRPC: %v", err)
	})

	It("delays requests by the configured time", func() {
		call := dial("slow.example.com")
		_, err := call() // the first call also resolves the route
		Expect(err).NotTo(HaveOccurred())
		start := time.Now()
		_, err = call()
		Expect(err).NotTo(HaveOccurred())
		Expect(time.Since(start)).To(BeNumerically(">=", 300*time.Millisecond))
	})

	It("retries a failed call on another backend", func() {
		call := dial("retries.example.com")
		backends["v1-a"].SetFailing(true)
		for range 50 {
			Expect(call()).To(Equal("v1-b"), "no call fails: each failure on v1-a is retried on v1-b")
		}
	})

	It("retries on another backend after one is killed", func() {
		call := dial("retries.example.com")
		seen := map[string]bool{}
		Eventually(func() map[string]bool {
			id, err := call()
			Expect(err).NotTo(HaveOccurred())
			seen[id] = true
			return seen
		}, 10*time.Second).Should(HaveLen(2), "both v1 backends serve")

		Expect(backends["v1-a"].Stop()).To(Succeed())
		for range 50 {
			Expect(call()).To(Equal("v1-b"), "no call fails: retries move it to the surviving backend")
		}
	})
})
