package mcpserver_test

import (
	"context"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
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

// deltaClient is a raw incremental ADS client: the tests drive the protocol
// by hand.
type deltaClient struct {
	conn   *grpc.ClientConn
	stream grpc.BidiStreamingClient[discoveryv3.DeltaDiscoveryRequest, discoveryv3.DeltaDiscoveryResponse]
	cancel context.CancelFunc
	node   *corev3.Node
}

func mustDialDelta(addr string) *deltaClient {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).DeltaAggregatedResources(ctx)
	Expect(err).NotTo(HaveOccurred())
	c := &deltaClient{conn: conn, stream: stream, cancel: cancel, node: &corev3.Node{Id: "router~10.0.0.8~pilot.cloudfoundry~cloudfoundry.svc.cluster.local"}}
	DeferCleanup(c.close)
	return c
}

func (c *deltaClient) close() {
	c.cancel()
	_ = c.conn.Close()
}

func (c *deltaClient) send(req *discoveryv3.DeltaDiscoveryRequest) {
	req.Node = c.node
	Expect(c.stream.Send(req)).To(Succeed())
}

// subscribe opens a wildcard subscription to each type URL, declaring no
// objects held.
func (c *deltaClient) subscribe(typeURLs ...string) {
	for _, t := range typeURLs {
		c.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: t})
	}
}

// resubscribe opens a wildcard subscription declaring the objects of kind
// in held, as a reconnecting client does.
func (c *deltaClient) resubscribe(typeURL string, held mesh.Config, kind mesh.Kind) {
	versions := map[string]string{}
	for _, r := range held.Of(kind) {
		versions[r.Key()] = r.Version
	}
	c.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: typeURL, ResourceNamesSubscribe: []string{"*"}, InitialResourceVersions: versions})
}

func (c *deltaClient) ack(resp *discoveryv3.DeltaDiscoveryResponse) {
	c.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resp.TypeUrl, ResponseNonce: resp.Nonce})
}

func (c *deltaClient) nack(resp *discoveryv3.DeltaDiscoveryResponse, message string) {
	c.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resp.TypeUrl, ResponseNonce: resp.Nonce, ErrorDetail: &status.Status{Code: 3, Message: message}})
}

func (c *deltaClient) recv() *discoveryv3.DeltaDiscoveryResponse {
	resp, err := c.stream.Recv()
	Expect(err).NotTo(HaveOccurred())
	return resp
}

// recvAll receives n responses and returns them by type URL, failing on a
// type URL received twice.
func (c *deltaClient) recvAll(n int) map[string]*discoveryv3.DeltaDiscoveryResponse {
	out := map[string]*discoveryv3.DeltaDiscoveryResponse{}
	for range n {
		resp := c.recv()
		Expect(out).NotTo(HaveKey(resp.TypeUrl))
		out[resp.TypeUrl] = resp
	}
	return out
}

// expectNothingPending proves the server sent nothing since the last
// response received: requests are handled in order and each is followed by
// a push, so the answer to a fresh subscription comes first only if nothing
// was queued before it.
func (c *deltaClient) expectNothingPending(probe string) {
	c.subscribe(probe)
	resp := c.recv()
	Expect(resp.TypeUrl).To(Equal(probe), "a response was pending before the probe's answer")
}

// names lists the resource names of a delta response.
func names(resp *discoveryv3.DeltaDiscoveryResponse) []string {
	out := []string{}
	for _, r := range resp.Resources {
		out = append(out, r.Name)
	}
	return out
}

// keysOf lists the keys of the objects of kind in cfg.
func keysOf(cfg mesh.Config, kind mesh.Kind) []string {
	out := []string{}
	for _, r := range cfg.Of(kind) {
		out = append(out, r.Key())
	}
	return out
}

func rpcStatus(message string) *status.Status {
	return &status.Status{Code: 3, Message: message}
}
