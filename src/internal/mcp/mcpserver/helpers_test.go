package mcpserver_test

import (
	"context"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	. "github.com/onsi/gomega"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

const (
	vsV1      = "networking.istio.io/v1/VirtualService"
	gwV1      = "networking.istio.io/v1/Gateway"
	gwV1alpha = "networking.istio.io/v1alpha3/Gateway"
	drV1      = "networking.istio.io/v1/DestinationRule"
	seV1      = "networking.istio.io/v1/ServiceEntry"
)

// adsClient is a raw ADS client: the tests drive the protocol by hand.
type adsClient struct {
	conn   *grpc.ClientConn
	stream grpc.BidiStreamingClient[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]
	cancel context.CancelFunc
	node   *corev3.Node
}

func dialADS(addr string, creds credentials.TransportCredentials) (*adsClient, error) {
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		cancel()
		_ = conn.Close()
		return nil, err
	}
	return &adsClient{conn: conn, stream: stream, cancel: cancel, node: &corev3.Node{Id: "router~10.0.0.9~pilot.cloudfoundry~cloudfoundry.svc.cluster.local"}}, nil
}

func mustDialADS(addr string) *adsClient {
	c, err := dialADS(addr, nil)
	Expect(err).NotTo(HaveOccurred())
	return c
}

func (c *adsClient) close() {
	c.cancel()
	_ = c.conn.Close()
}

func (c *adsClient) send(req *discoveryv3.DiscoveryRequest) {
	req.Node = c.node
	Expect(c.stream.Send(req)).To(Succeed())
}

// subscribe sends initial requests the way istiod's adsc does: with a nonce
// that matches nothing.
func (c *adsClient) subscribe(typeURLs ...string) {
	for _, t := range typeURLs {
		c.send(&discoveryv3.DiscoveryRequest{TypeUrl: t, ResponseNonce: "2026-01-01 00:00:00 +0000 UTC"})
	}
}

func (c *adsClient) ack(resp *discoveryv3.DiscoveryResponse) {
	c.send(&discoveryv3.DiscoveryRequest{TypeUrl: resp.TypeUrl, VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce})
}

func (c *adsClient) nack(resp *discoveryv3.DiscoveryResponse, previous, message string) {
	c.send(&discoveryv3.DiscoveryRequest{
		TypeUrl: resp.TypeUrl, VersionInfo: previous, ResponseNonce: resp.Nonce,
		ErrorDetail: &status.Status{Code: 3, Message: message},
	})
}

func (c *adsClient) recv() *discoveryv3.DiscoveryResponse {
	resp, err := c.stream.Recv()
	Expect(err).NotTo(HaveOccurred())
	return resp
}

// recvAll receives n responses and returns them by type URL, failing on a
// type URL received twice.
func (c *adsClient) recvAll(n int) map[string]*discoveryv3.DiscoveryResponse {
	out := map[string]*discoveryv3.DiscoveryResponse{}
	for range n {
		resp := c.recv()
		Expect(out).NotTo(HaveKey(resp.TypeUrl))
		out[resp.TypeUrl] = resp
	}
	return out
}
