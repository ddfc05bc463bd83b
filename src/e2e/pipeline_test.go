package e2e_test

import (
	"context"
	"time"

	cfclient "github.com/cloudfoundry/go-cfclient/v3/client"
	cfconfig "github.com/cloudfoundry/go-cfclient/v3/config"
	"github.com/cloudfoundry/go-cfclient/v3/resource"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/adsprobe"
	ccstandin "code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/proxyless"
)

var _ = Describe("A weighted Cloud Foundry route, end to end", Ordered, func() {
	var (
		foundation *shop
		conn       *grpc.ClientConn
		ctx        context.Context
	)

	// split makes n calls through the proxyless client and counts answers
	// by app version and by instance.
	split := func(n int) (v1, v2 int, byInstance map[string]int) {
		counts, err := proxyless.Split(ctx, conn, n)
		Expect(err).NotTo(HaveOccurred(), "every call succeeds")
		GinkgoWriter.Printf("%d calls: %v\n", n, counts)
		return counts["v1-a"] + counts["v1-b"], counts["v2-a"], counts
	}

	BeforeAll(func() {
		ctx = bounded()
		foundation = startShop(planeSettings{})
		var err error
		conn, err = proxyless.Dial(foundation.plane.xdsAddress, "e2e-client", shopHost)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(conn.Close)
	})

	It("splits 1000 calls 80/20 within 5 points", func() {
		v1, v2, _ := split(1000)
		Expect(v1).To(BeNumerically("~", 800, 50))
		Expect(v2).To(BeNumerically("~", 200, 50))
	})

	It("flips the split when the weights are PATCHed to 20/80 in Cloud Controller", func() {
		cfg, err := cfconfig.New(foundation.ccURL, cfconfig.ClientCredentials(ccstandin.DefaultClientID, ccstandin.DefaultClientSecret))
		Expect(err).NotTo(HaveOccurred())
		client, err := cfclient.New(cfg)
		Expect(err).NotTo(HaveOccurred())
		_, err = client.Routes.ReplaceDestinations(ctx, foundation.routeGUID, []*resource.RouteDestinationInsertOrReplace{
			{App: resource.RouteDestinationApp{GUID: &foundation.appV1}, Weight: weight(20)},
			{App: resource.RouteDestinationApp{GUID: &foundation.appV2}, Weight: weight(80)},
		})
		Expect(err).NotTo(HaveOccurred())

		Eventually(func(g Gomega) {
			v1, v2, _ := split(1000)
			g.Expect(v1).To(BeNumerically("~", 200, 50))
			g.Expect(v2).To(BeNumerically("~", 800, 50))
		}, 30*time.Second, 200*time.Millisecond).Should(Succeed())
	})

	It("stops sending to an instance once it unregisters", func() {
		foundation.emitter.Unregister(foundation.messages["v1-b"])
		Eventually(func(g Gomega) {
			_, _, byInstance := split(300)
			g.Expect(byInstance).NotTo(HaveKey("v1-b"))
			g.Expect(byInstance).To(HaveKey("v1-a"))
		}, 30*time.Second, 200*time.Millisecond).Should(Succeed())
	})

	It("explains itself: the copilot's routing table, the pilot's sync status and a proxy's config dump", func() {
		routes := debug(foundation.plane.copilotConfig.StatusAddress, "/debug/routes")
		Expect(routes).To(ContainSubstring(`"host": "shop.apps.example.com"`))
		Expect(routes).To(ContainSubstring(`"weight": 80`), "the weights after the PATCH (20/80)")

		syncz := debug(foundation.plane.pilotConfig.StatusAddress, "/debug/syncz")
		Expect(syncz).To(ContainSubstring(`"node": "sidecar~127.0.0.1~e2e-client~cf.internal"`))
		Expect(syncz).To(ContainSubstring(`"class": "mesh"`))
		Expect(syncz).NotTo(ContainSubstring(`"last_error"`), "nothing was NACKed")

		dump := debug(foundation.plane.pilotConfig.StatusAddress, "/debug/config_dump?proxy=sidecar~127.0.0.1~e2e-client~cf.internal")
		Expect(dump).To(ContainSubstring(`"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump"`))
		Expect(dump).To(ContainSubstring(`"name": "shop.apps.example.com"`))

		meshYAML := debug(foundation.plane.pilotConfig.StatusAddress, "/debug/meshconfig")
		Expect(meshYAML).To(ContainSubstring("name: copilot-service-for-shop.apps.example.com"))
	})

	It("emits only Envoy resources that pass ValidateAll, and grpc-go NACKed none", func() {
		for _, node := range []*corev3.Node{{Id: "router~127.0.0.1~e2e-gateway~cf.internal"}, meshProbeNode()} {
			served := fetchEverything(ctx, foundation.plane.xdsAddress, node)
			Expect(served).NotTo(BeEmpty())
			Expect(adsprobe.Validate(served)).To(Succeed())
		}
		Expect(metricValue(foundation.plane.pilotRegistry, "cfmesh_pilot_xds_nacks_total")).To(BeZero())
	})
})

// fetchEverything follows what a proxy of node's class would: its
// listeners, the route configurations they name, all clusters, and their
// load assignments.
func fetchEverything(ctx context.Context, address string, node *corev3.Node) []proto.Message {
	probe, err := adsprobe.Dial(ctx, address, node)
	Expect(err).NotTo(HaveOccurred())
	defer probe.Close()
	var listenerNames []string
	if node.GetMetadata() != nil {
		listenerNames = []string{shopHost}
	}
	listeners, err := probe.Fetch(resourcev3.ListenerType, listenerNames...)
	Expect(err).NotTo(HaveOccurred())
	Expect(listeners).NotTo(BeEmpty())
	routes, err := probe.Fetch(resourcev3.RouteType, routeNames(listeners)...)
	Expect(err).NotTo(HaveOccurred())
	clusters, err := probe.Fetch(resourcev3.ClusterType)
	Expect(err).NotTo(HaveOccurred())
	var clusterNames []string
	for _, c := range clusters {
		clusterNames = append(clusterNames, c.(interface{ GetName() string }).GetName())
	}
	endpoints, err := probe.Fetch(resourcev3.EndpointType, clusterNames...)
	Expect(err).NotTo(HaveOccurred())
	Expect(endpoints).To(HaveLen(len(clusters)))
	return append(append(append(listeners, routes...), clusters...), endpoints...)
}

func routeNames(listeners []proto.Message) []string {
	var names []string
	for _, m := range listeners {
		if name := rdsName(m.(*listenerv3.Listener)); name != "" {
			names = append(names, name)
		}
	}
	return names
}

// meshProbeNode identifies a probe as a proxyless gRPC client.
func meshProbeNode() *corev3.Node {
	return &corev3.Node{Id: "sidecar~127.0.0.1~e2e-probe~cf.internal", Metadata: &structpb.Struct{Fields: map[string]*structpb.Value{
		"GENERATOR": structpb.NewStringValue("grpc"),
	}}}
}
