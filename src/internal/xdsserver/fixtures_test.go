package xdsserver_test

import (
	"context"
	"net"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

const host = "shop.example.com"

// backendSet is a cluster's endpoints by backend address.
type backendSet map[string][]envoyir.Endpoint

// shopIR routes host to clusters v1 and v2 with the given weights.
func shopIR(weightV1, weightV2 uint32, endpoints backendSet) envoyir.IR {
	v1, v2 := envoyir.ClusterName(8080, "v1", host), envoyir.ClusterName(8080, "v2", host)
	vhost := envoyir.VirtualHost{Name: host, ServicePorts: []uint32{8080}, Routes: []envoyir.Route{{
		Name: "route-guid", PathPrefix: "/",
		Clusters: []envoyir.WeightedCluster{{Cluster: v1, Weight: weightV1}, {Cluster: v2, Weight: weightV2}},
	}}}
	return envoyir.IR{
		GatewayListeners: []envoyir.GatewayListener{{Port: 80, Servers: []envoyir.GatewayServer{
			{RouteName: "http.80", VirtualHosts: []envoyir.VirtualHost{vhost}},
		}}},
		MeshHosts: []envoyir.VirtualHost{vhost},
		Clusters: []envoyir.Cluster{
			{Name: v1, Host: host, Port: 8080, Subset: "v1", LoadBalancing: envoyir.RoundRobin},
			{Name: v2, Host: host, Port: 8080, Subset: "v2", LoadBalancing: envoyir.RoundRobin},
		},
		LoadAssignments: []envoyir.LoadAssignment{
			{Cluster: v1, Endpoints: endpoints["v1"]},
			{Cluster: v2, Endpoints: endpoints["v2"]},
		},
	}
}

func resources(ir envoyir.IR) xdsresources.Resources {
	res, errs := xdsresources.Translate(ir, xdsresources.Options{})
	Expect(errs).To(BeEmpty())
	return res
}

// adsClient is a raw ADS stream for checking what the server sends.
type adsClient struct {
	conn   *grpc.ClientConn
	stream discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	node   *corev3.Node
	cancel context.CancelFunc
}

func newADSClient(address, nodeID string, metadata map[string]any) *adsClient {
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	Expect(err).NotTo(HaveOccurred())
	md, err := structpb.NewStruct(metadata)
	Expect(err).NotTo(HaveOccurred())
	return &adsClient{conn: conn, stream: stream, node: &corev3.Node{Id: nodeID, Metadata: md}, cancel: cancel}
}

func (c *adsClient) request(typeURL, version, nonce string, names ...string) {
	Expect(c.stream.Send(&discoveryv3.DiscoveryRequest{
		Node: c.node, TypeUrl: typeURL, VersionInfo: version, ResponseNonce: nonce, ResourceNames: names,
	})).To(Succeed())
}

// responses delivers what the stream receives until it fails.
func (c *adsClient) responses() (<-chan *discoveryv3.DiscoveryResponse, <-chan error) {
	out, errc := make(chan *discoveryv3.DiscoveryResponse, 16), make(chan error, 1)
	go func() {
		for {
			resp, err := c.stream.Recv()
			if err != nil {
				errc <- err
				return
			}
			out <- resp
		}
	}()
	return out, errc
}

func (c *adsClient) close() {
	c.cancel()
	c.conn.Close()
}

// serveUntilSpecEnds runs serve (a Server's Serve or ServeContainers) on a
// loopback listener until the spec ends, expecting it to stop cleanly,
// and returns the listener's address.
func serveUntilSpecEnds(serve func(context.Context, net.Listener, ...grpc.ServerOption) error) string {
	GinkgoHelper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, lis) }()
	DeferCleanup(func() {
		cancel()
		Eventually(done, 10*time.Second).Should(Receive(BeNil()))
	})
	return lis.Addr().String()
}
