package xdsresources_test

import (
	"fmt"
	"slices"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

const perInstanceCase = "testdata/in/per-instance-hosts.yaml"

var (
	backend       = envoyir.ClusterName(8080, "proc-backend", "backend.apps.internal")
	backendThree  = envoyir.ClusterName(8080, "app-backend-web", "3.backend.apps.internal")
	callerOfOther = "sidecar~10.255.4.1~44444444-4444-4444-8444-000000000004~x"
)

// withInstance is ir after route-emitter registered one more instance of
// backend: its container IP under backend.apps.internal and under
// `<index>.backend.apps.internal`, as routingtable, meshconfig and envoyir
// carry it (the golden case per-instance-hosts shows the whole chain).
func withInstance(ir envoyir.IR, index int, address string) envoyir.IR {
	host := fmt.Sprintf("%d.backend.apps.internal", index)
	name := envoyir.ClusterName(8080, "app-backend-web", host)
	endpoint := envoyir.Endpoint{Address: address, Port: 8080}
	ir.Clusters = append(slices.Clone(ir.Clusters), envoyir.Cluster{
		Name: name, Host: host, Port: 8080, Subset: "app-backend-web", LoadBalancing: envoyir.RoundRobin,
	})
	slices.SortFunc(ir.Clusters, func(a, b envoyir.Cluster) int { return strings.Compare(a.Name, b.Name) })
	ir.LoadAssignments = slices.Clone(ir.LoadAssignments)
	for i, la := range ir.LoadAssignments {
		if la.Cluster == backend {
			ir.LoadAssignments[i].Endpoints = append(slices.Clone(la.Endpoints), endpoint)
		}
	}
	ir.LoadAssignments = append(ir.LoadAssignments, envoyir.LoadAssignment{Cluster: name, Endpoints: []envoyir.Endpoint{endpoint}})
	slices.SortFunc(ir.LoadAssignments, func(a, b envoyir.LoadAssignment) int { return strings.Compare(a.Cluster, b.Cluster) })
	ir.MeshHosts = append(slices.Clone(ir.MeshHosts), envoyir.VirtualHost{Name: host, ServicePorts: []uint32{8080}, Routes: []envoyir.Route{{
		Name: host, PathPrefix: "/", Clusters: []envoyir.WeightedCluster{{Cluster: name, Weight: 100}},
	}}})
	slices.SortFunc(ir.MeshHosts, func(a, b envoyir.VirtualHost) int { return strings.Compare(a.Name, b.Name) })
	ir.SidecarHosts = append(slices.Clone(ir.SidecarHosts), host)
	slices.Sort(ir.SidecarHosts)
	return ir
}

// outboundRoutes are the outbound route configurations a sidecar of
// ledger follows.
func outboundRoutes(res xdsresources.Resources) map[string]*routev3.RouteConfiguration {
	node, err := xdsresources.ParseNodeID(callerOfOther)
	Expect(err).NotTo(HaveOccurred())
	own, err := res.Sidecar(node)
	Expect(err).NotTo(HaveOccurred())
	expectNodeConsistent(own, res)
	return own.Routes
}

// routeOf is the action of the first route of a virtual host.
func routeOf(rc *routev3.RouteConfiguration, host string) *routev3.RouteAction {
	for _, vh := range rc.GetVirtualHosts() {
		if slices.Contains(vh.GetDomains(), host) {
			return vh.GetRoutes()[0].GetRoute()
		}
	}
	Fail("no virtual host " + host + " in route configuration " + rc.GetName())
	return nil
}

// expectUnchangedClusters expects the same clusters with the same content
// (what the xDS server compares), each EDS cluster the very same message
// (memo); the passthrough and inbound clusters are rebuilt every time.
func expectUnchangedClusters(before, after map[string]*clusterv3.Cluster) {
	Expect(after).To(HaveLen(len(before)))
	for name, c := range before {
		Expect(after).To(HaveKey(name))
		Expect(proto.Equal(after[name], c)).To(BeTrue(), name)
		if c.GetType() == clusterv3.Cluster_EDS {
			Expect(after[name]).To(BeIdenticalTo(c), name)
		}
	}
}

func instanceIndexOf(lb *endpointv3.LbEndpoint) string {
	return lb.GetMetadata().GetFilterMetadata()["envoy.lb"].GetFields()[xdsresources.InstanceIndexKey].GetStringValue()
}

var _ = Describe("Per-instance hosts for container sidecars (ADR 19)", func() {
	var three, four envoyir.IR

	BeforeEach(func() {
		three = loadIR(perInstanceCase)
		four = withInstance(three, 3, "10.255.1.4")
	})

	It("changes no sidecar cluster and no route configuration when an instance of an internal app comes or goes: only the parent's load assignment", func() {
		opts := loadOptions(perInstanceCase)
		translator := xdsresources.NewTranslator(opts)
		before, errs := translator.Translate(three)
		Expect(errs).To(BeEmpty())
		after, errs := translator.Translate(four)
		Expect(errs).To(BeEmpty())

		expectUnchangedClusters(before.SidecarClusters, after.SidecarClusters)
		expectSameMessages(before.SidecarEndpoints, after.SidecarEndpoints, backend)
		Expect(after.SidecarClusters).NotTo(HaveKey(backendThree))
		Expect(after.SidecarEndpoints).NotTo(HaveKey(backendThree))
		lbs := after.SidecarEndpoints[backend].GetEndpoints()[0].GetLbEndpoints()
		Expect(lbs).To(HaveLen(4))
		Expect(lbs[3].GetEndpoint().GetAddress().GetSocketAddress().GetAddress()).To(Equal("10.255.1.4"))
		Expect(instanceIndexOf(lbs[3])).To(Equal("3"))

		routes := outboundRoutes(after)["8080"]
		Expect(routes).To(BeIdenticalTo(outboundRoutes(before)["8080"]), "3.backend is reached through *.backend")
		Expect(routedEndpoints(after, "8080", "3.backend.apps.internal:8080")).To(ConsistOf("10.255.1.4:8080"))

		Expect(after.MeshClusters).To(HaveKey(backendThree), "proxyless gRPC clients keep the per-instance cluster")
		Expect(after.MeshEndpoints).To(HaveKey(backendThree))
		Expect(after.GatewayClusters).To(Equal(before.GatewayClusters))

		gone, errs := translator.Translate(three)
		Expect(errs).To(BeEmpty())
		expectUnchangedClusters(after.SidecarClusters, gone.SidecarClusters)
		expectSameMessages(after.SidecarEndpoints, gone.SidecarEndpoints, backend)
		Expect(proto.Equal(gone.SidecarEndpoints[backend], before.SidecarEndpoints[backend])).To(BeTrue())
	})

	It("gives the stateless Translate the same sidecar clusters for both, as the xDS server compares them (by content)", func() {
		opts := loadOptions(perInstanceCase)
		before, _ := xdsresources.Translate(three, opts)
		after, _ := xdsresources.Translate(four, opts)
		Expect(after.SidecarClusters).To(HaveLen(len(before.SidecarClusters)))
		for name, c := range before.SidecarClusters {
			Expect(proto.Equal(after.SidecarClusters[name], c)).To(BeTrue(), name)
		}
		memo := xdsresources.NewTranslator(opts)
		memo.Translate(three)
		got, _ := memo.Translate(four)
		Expect(proto.Equal(outboundRoutes(got)["8080"], outboundRoutes(after)["8080"])).To(BeTrue())
		Expect(proto.Equal(got.SidecarEndpoints[backend], after.SidecarEndpoints[backend])).To(BeTrue())
	})

	It("labels only the parent's endpoints that sidecars get: proxyless clients' carry no instance", func() {
		res, _ := xdsresources.Translate(three, loadOptions(perInstanceCase))
		for _, lb := range res.MeshEndpoints[backend].GetEndpoints()[0].GetLbEndpoints() {
			Expect(lb.GetMetadata()).To(BeNil())
		}
		for i, lb := range res.SidecarEndpoints[backend].GetEndpoints()[0].GetLbEndpoints() {
			Expect(instanceIndexOf(lb)).To(Equal(fmt.Sprint(i)))
		}
	})

	It("gives every sidecar cluster subset load balancing that balances over all endpoints without a match and never falls back for an instance", func() {
		res, _ := xdsresources.Translate(three, loadOptions(perInstanceCase))
		for name, c := range res.SidecarClusters {
			if c.GetType() != clusterv3.Cluster_EDS {
				continue
			}
			subsets := c.GetLbSubsetConfig()
			Expect(subsets.GetFallbackPolicy()).To(Equal(clusterv3.Cluster_LbSubsetConfig_ANY_ENDPOINT), name)
			Expect(subsets.GetSubsetSelectors()).To(HaveLen(1), name)
			Expect(subsets.GetSubsetSelectors()[0].GetKeys()).To(Equal([]string{xdsresources.InstanceIndexKey}))
			Expect(subsets.GetSubsetSelectors()[0].GetFallbackPolicy()).To(Equal(clusterv3.Cluster_LbSubsetConfig_LbSubsetSelector_NO_FALLBACK))
		}
		for name, c := range res.MeshClusters {
			Expect(c.GetLbSubsetConfig()).To(BeNil(), "grpc-go has no subset load balancer: %s", name)
		}
	})
})

// hostSpec is one host of a small IR: one cluster on a port, its endpoints
// (`address:port`).
type hostSpec struct {
	name      string
	port      uint32
	endpoints []string
}

// smallIR serves every host to sidecars unless outOfScope names it.
func smallIR(hosts []hostSpec, outOfScope ...string) envoyir.IR {
	var ir envoyir.IR
	for _, h := range hosts {
		name := envoyir.ClusterName(h.port, "", h.name)
		ir.Clusters = append(ir.Clusters, envoyir.Cluster{Name: name, Host: h.name, Port: h.port, LoadBalancing: envoyir.RoundRobin})
		la := envoyir.LoadAssignment{Cluster: name}
		for _, e := range h.endpoints {
			var port uint32
			address, _, _ := strings.Cut(e, ":")
			_, err := fmt.Sscanf(e[len(address)+1:], "%d", &port)
			Expect(err).NotTo(HaveOccurred())
			la.Endpoints = append(la.Endpoints, envoyir.Endpoint{Address: address, Port: port})
		}
		ir.LoadAssignments = append(ir.LoadAssignments, la)
		ir.MeshHosts = append(ir.MeshHosts, envoyir.VirtualHost{Name: h.name, ServicePorts: []uint32{h.port}, Routes: []envoyir.Route{{
			Name: h.name, PathPrefix: "/", Clusters: []envoyir.WeightedCluster{{Cluster: name, Weight: 100}},
		}}})
		if !slices.Contains(outOfScope, h.name) {
			ir.SidecarHosts = append(ir.SidecarHosts, h.name)
		}
	}
	slices.SortFunc(ir.Clusters, func(a, b envoyir.Cluster) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(ir.LoadAssignments, func(a, b envoyir.LoadAssignment) int { return strings.Compare(a.Cluster, b.Cluster) })
	slices.SortFunc(ir.MeshHosts, func(a, b envoyir.VirtualHost) int { return strings.Compare(a.Name, b.Name) })
	slices.Sort(ir.SidecarHosts)
	return ir
}

var _ = DescribeTable("keeps a per-instance host's own sidecar cluster when folding it into the parent's is not safe",
	func(hosts []hostSpec, outOfScope []string, kept []string, folded []string) {
		res, errs := xdsresources.Translate(smallIR(hosts, outOfScope...), xdsresources.Options{})
		Expect(errs).To(BeEmpty())
		expectConsistent(res)
		for _, host := range kept {
			Expect(res.SidecarClusters).To(HaveKey(envoyir.ClusterName(8080, "", host)), "%s keeps its cluster", host)
		}
		for _, host := range folded {
			Expect(res.SidecarClusters).NotTo(HaveKey(envoyir.ClusterName(8080, "", host)), "%s is folded", host)
		}
	},
	Entry("folded: every endpoint is the parent's",
		[]hostSpec{{"a.apps.internal", 8080, []string{"10.0.0.1:8080", "10.0.0.2:8080"}}, {"1.a.apps.internal", 8080, []string{"10.0.0.2:8080"}}},
		nil, nil, []string{"1.a.apps.internal"}),
	Entry("an endpoint the parent does not have",
		[]hostSpec{{"a.apps.internal", 8080, []string{"10.0.0.1:8080"}}, {"1.a.apps.internal", 8080, []string{"10.0.0.9:8080"}}},
		nil, []string{"1.a.apps.internal"}, nil),
	Entry("the same address on another port",
		[]hostSpec{{"a.apps.internal", 8080, []string{"10.0.0.1:9090"}}, {"1.a.apps.internal", 8080, []string{"10.0.0.1:8080"}}},
		nil, []string{"1.a.apps.internal"}, nil),
	Entry("a parent the sidecars are not configured for",
		[]hostSpec{{"a.apps.internal", 8080, []string{"10.0.0.1:8080"}}, {"0.a.apps.internal", 8080, []string{"10.0.0.1:8080"}}},
		[]string{"a.apps.internal"}, []string{"0.a.apps.internal"}, nil),
	Entry("no parent host",
		[]hostSpec{{"0.b.apps.internal", 8080, []string{"10.0.0.1:8080"}}},
		nil, []string{"0.b.apps.internal"}, nil),
	Entry("a first label that is not an index",
		[]hostSpec{{"a.apps.internal", 8080, []string{"10.0.0.1:8080"}}, {"v1.a.apps.internal", 8080, []string{"10.0.0.1:8080"}}},
		nil, []string{"v1.a.apps.internal"}, nil),
	Entry("two indexes claiming one endpoint: both keep theirs, a third is folded",
		[]hostSpec{
			{"a.apps.internal", 8080, []string{"10.0.0.1:8080", "10.0.0.2:8080"}},
			{"0.a.apps.internal", 8080, []string{"10.0.0.1:8080"}}, {"1.a.apps.internal", 8080, []string{"10.0.0.1:8080"}},
			{"2.a.apps.internal", 8080, []string{"10.0.0.2:8080"}},
		},
		nil, []string{"0.a.apps.internal", "1.a.apps.internal"}, []string{"2.a.apps.internal"}),
	Entry("a parent that is folded itself: the chain stops there",
		[]hostSpec{
			{"a.apps.internal", 8080, []string{"10.0.0.1:8080"}},
			{"1.a.apps.internal", 8080, []string{"10.0.0.1:8080"}}, {"2.1.a.apps.internal", 8080, []string{"10.0.0.1:8080"}},
		},
		nil, []string{"2.1.a.apps.internal"}, []string{"1.a.apps.internal"}),
)
