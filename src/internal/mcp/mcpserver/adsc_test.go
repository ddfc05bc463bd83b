package mcpserver_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	mcpv1alpha1 "istio.io/api/mcp/v1alpha1"
)

// istio131Collections are the type URLs Istio 1.31's adsc requests after
// MeshConfig (collections.Pilot; istio-xds.md §1b): v1 where the kind has
// moved, EnvoyFilter still v1alpha3, ProxyConfig still v1beta1.
var istio131Collections = []string{
	"security.istio.io/v1/AuthorizationPolicy",
	"networking.istio.io/v1/DestinationRule",
	"networking.istio.io/v1alpha3/EnvoyFilter",
	"networking.istio.io/v1/Gateway",
	"security.istio.io/v1/PeerAuthentication",
	"networking.istio.io/v1beta1/ProxyConfig",
	"security.istio.io/v1/RequestAuthentication",
	"networking.istio.io/v1/ServiceEntry",
	"networking.istio.io/v1/Sidecar",
	"telemetry.istio.io/v1/Telemetry",
	"extensions.istio.io/v1alpha1/TrafficExtension",
	"networking.istio.io/v1/VirtualService",
	"extensions.istio.io/v1alpha1/WasmPlugin",
	"networking.istio.io/v1/WorkloadEntry",
	"networking.istio.io/v1/WorkloadGroup",
}

// istio123Collections are the pre-1.24 spellings (istio-xds.md §1b):
// networking v1alpha3, security v1beta1; no TrafficExtension.
var istio123Collections = []string{
	"security.istio.io/v1beta1/AuthorizationPolicy",
	"networking.istio.io/v1alpha3/DestinationRule",
	"networking.istio.io/v1alpha3/EnvoyFilter",
	"networking.istio.io/v1alpha3/Gateway",
	"security.istio.io/v1beta1/PeerAuthentication",
	"networking.istio.io/v1beta1/ProxyConfig",
	"security.istio.io/v1beta1/RequestAuthentication",
	"networking.istio.io/v1alpha3/ServiceEntry",
	"networking.istio.io/v1alpha3/Sidecar",
	"telemetry.istio.io/v1alpha1/Telemetry",
	"networking.istio.io/v1alpha3/VirtualService",
	"extensions.istio.io/v1alpha1/WasmPlugin",
	"networking.istio.io/v1alpha3/WorkloadEntry",
	"networking.istio.io/v1alpha3/WorkloadGroup",
}

// storedConfig is one object in the emulated istiod's in-memory store.
type storedConfig struct {
	version     string
	labels      map[string]string
	annotations map[string]string
	spec        proto.Message
}

// adscClient behaves like istiod's MCP client (istio/istio pkg/adsc) as
// `configSources: - address: xds://...` uses it, learned from its source:
// State-of-the-World ADS; node metadata GENERATOR=api and ISTIO_VERSION,
// sent with the first request only; MeshConfig requested first, then every
// collection, each initial request carrying a time string as nonce; each
// resource must be an Any of istio.mcp.v1alpha1.Resource whose name splits
// into exactly namespace/name, anything else is dropped with a warning;
// an object is stored (an istiod push) only when its version differs; what
// a response no longer lists is deleted; every response is ACKed; synced
// once every requested collection (not MeshConfig) answered once.
type adscClient struct {
	conn      *grpc.ClientConn
	stream    grpc.BidiStreamingClient[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]
	cancel    context.CancelFunc
	requested []string
	nodeSent  bool

	store    map[string]map[string]storedConfig // type URL → ns/name → object
	answered map[string]bool
	// pushes counts store changes (create, update, delete) per type URL.
	pushes   map[string]int
	warnings []string
}

// dialAdsc connects with adsc's dial options: insecure credentials (a
// plaintext `xds://` source), unlimited receive size, 1 MiB windows.
func dialAdsc(addr string, collections []string) *adscClient {
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithInitialWindowSize(1<<20), grpc.WithInitialConnWindowSize(1<<20),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(math.MaxInt32)))
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	Expect(err).NotTo(HaveOccurred())
	c := &adscClient{
		conn: conn, stream: stream, cancel: cancel, requested: collections,
		store: map[string]map[string]storedConfig{}, answered: map[string]bool{}, pushes: map[string]int{},
	}
	c.send(&discoveryv3.DiscoveryRequest{TypeUrl: "core/v1alpha1/MeshConfig", ResponseNonce: time.Now().String()})
	for _, t := range collections {
		c.send(&discoveryv3.DiscoveryRequest{TypeUrl: t, ResponseNonce: time.Now().String()})
	}
	return c
}

func (c *adscClient) close() {
	c.cancel()
	_ = c.conn.Close()
}

func (c *adscClient) send(req *discoveryv3.DiscoveryRequest) {
	if !c.nodeSent {
		req.Node = &corev3.Node{
			Id: "sidecar~127.0.0.1~istiod-0.istio-system~istio-system.svc.cluster.local",
			Metadata: &structpb.Struct{Fields: map[string]*structpb.Value{
				"GENERATOR":     structpb.NewStringValue("api"),
				"ISTIO_VERSION": structpb.NewStringValue("65536.65536.65536"),
			}},
		}
		c.nodeSent = true
	}
	Expect(c.stream.Send(req)).To(Succeed())
}

// synced is adsc's HasSynced.
func (c *adscClient) synced() bool {
	for _, t := range c.requested {
		if !c.answered[t] {
			return false
		}
	}
	return true
}

// receiveUntil handles responses until done holds (the stream's deadline
// bounds the wait).
func (c *adscClient) receiveUntil(done func() bool) {
	for !done() {
		resp, err := c.stream.Recv()
		Expect(err).NotTo(HaveOccurred(), "still waiting; answered so far: %v", c.answered)
		c.handle(resp)
	}
}

func (c *adscClient) handle(resp *discoveryv3.DiscoveryResponse) {
	if resp.TypeUrl == "core/v1alpha1/MeshConfig" {
		return // adsc parses it and does not ACK; the copilot never sends it
	}
	c.handleMCP(resp.TypeUrl, resp.Resources)
	c.answered[resp.TypeUrl] = true
	c.send(&discoveryv3.DiscoveryRequest{TypeUrl: resp.TypeUrl, VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce})
}

func (c *adscClient) handleMCP(typeURL string, resources []*anypb.Any) {
	existing := c.store[typeURL]
	received := map[string]storedConfig{}
	for _, a := range resources {
		var r mcpv1alpha1.Resource
		if err := a.UnmarshalTo(&r); err != nil {
			c.warnings = append(c.warnings, fmt.Sprintf("unmarshal %s: %v", typeURL, err))
			continue
		}
		if len(strings.Split(r.GetMetadata().GetName(), "/")) != 2 {
			c.warnings = append(c.warnings, "invalid name "+r.GetMetadata().GetName())
			continue
		}
		spec, err := r.GetBody().UnmarshalNew()
		if err != nil {
			c.warnings = append(c.warnings, fmt.Sprintf("body of %s: %v", r.GetMetadata().GetName(), err))
			continue
		}
		name := r.GetMetadata().GetName()
		received[name] = storedConfig{version: r.GetMetadata().GetVersion(), labels: r.GetMetadata().GetLabels(), annotations: r.GetMetadata().GetAnnotations(), spec: spec}
		if old, ok := existing[name]; !ok || old.version != received[name].version || received[name].version == "" {
			c.pushes[typeURL]++
		}
	}
	for name := range existing {
		if _, ok := received[name]; !ok {
			c.pushes[typeURL]++
		}
	}
	c.store[typeURL] = received
}
