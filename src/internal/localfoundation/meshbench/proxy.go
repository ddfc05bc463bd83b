package meshbench

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"

	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
)

// Kind is a kind of simulated proxy.
type Kind string

// The kinds of proxy the fleet holds.
const (
	GatewaySotW  Kind = "gateway-sotw"
	GatewayDelta Kind = "gateway-delta"
	Proxyless    Kind = "proxyless"
	SidecarSotW  Kind = "sidecar-sotw"
	SidecarDelta Kind = "sidecar-delta"
)

// maxMessage lets a gateway receive a whole State-of-the-World EDS answer.
const maxMessage = 512 << 20

// proxy is one simulated proxy: an ADS stream that subscribes as its kind
// of Envoy (or gRPC) would, follows references (listeners to route
// configurations, clusters to load assignments, a gRPC client's routes to
// its clusters), ACKs every response, and tells the fleet's watch when a
// response it ACKed carries the change the watch waits for.
type proxy struct {
	id     string
	kind   Kind
	node   *corev3.Node
	local  netip.Addr // a sidecar's container IP; zero for others
	hosts  []string   // a proxyless client's dialled hosts
	target string
	fleet  *fleet

	bytes, resources, responses atomic.Int64

	mu       sync.Mutex
	subs     map[string]*subscription
	complete time.Time
}

func (p *proxy) delta() bool { return p.kind == GatewayDelta || p.kind == SidecarDelta }

// wildcard kinds ask for every listener and cluster, as Envoy does.
func (p *proxy) wildcard() bool { return p.kind != Proxyless }

func newProxy(kind Kind, id string, n int, target string, f *fleet) *proxy {
	p := &proxy{id: id, kind: kind, target: target, fleet: f, subs: map[string]*subscription{}}
	p.node = &corev3.Node{Id: id, Cluster: "meshbench"}
	if kind == Proxyless {
		p.node.Metadata = &structpb.Struct{Fields: map[string]*structpb.Value{"GENERATOR": structpb.NewStringValue("grpc")}}
	}
	for _, t := range []string{resourcev3.ListenerType, resourcev3.RouteType, resourcev3.ClusterType, resourcev3.EndpointType} {
		p.subs[t] = newSubscription(t, p.wildcard() && (t == resourcev3.ListenerType || t == resourcev3.ClusterType))
	}
	return p
}

// run connects and follows the stream until ctx ends, reconnecting after
// an error. Failures are logged once and then every 20th in a row: before
// the control plane listens, every proxy fails every half second.
func (p *proxy) run(ctx context.Context) {
	for failures := 0; ctx.Err() == nil; {
		received := p.responses.Load()
		err := p.stream(ctx)
		if ctx.Err() != nil {
			return
		}
		if p.responses.Load() > received {
			failures = 0
		}
		if failures++; failures%20 == 1 {
			p.fleet.logf("%s: stream ended (%d in a row): %v; reconnecting", p.id, failures, err)
		}
		p.reset()
		lifecycle.Sleep(ctx, 500*time.Millisecond)
	}
}

func (p *proxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for t, s := range p.subs {
		p.subs[t] = newSubscription(t, s.wildcard)
	}
}

func (p *proxy) dial() (*grpc.ClientConn, error) {
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessage)),
		grpc.WithInitialWindowSize(4 << 20), grpc.WithInitialConnWindowSize(16 << 20),
	}
	if p.local.IsValid() {
		dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: p.local.AsSlice()}, Timeout: 10 * time.Second}
		opts = append(opts, grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, "tcp", addr)
		}))
	}
	return grpc.NewClient(p.target, opts...)
}

func (p *proxy) stream(ctx context.Context) error {
	conn, err := p.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	client := discoveryv3.NewAggregatedDiscoveryServiceClient(conn)
	if p.delta() {
		s, err := client.DeltaAggregatedResources(ctx)
		if err != nil {
			return err
		}
		return p.followDelta(s)
	}
	s, err := client.StreamAggregatedResources(ctx)
	if err != nil {
		return err
	}
	return p.followSotW(s)
}

// initialTypes are what a proxy asks for first: listeners and clusters
// (wildcard), or a gRPC client's listeners by host.
func (p *proxy) initialTypes() []string {
	if p.wildcard() {
		return []string{resourcev3.ClusterType, resourcev3.ListenerType}
	}
	p.mu.Lock()
	lds := p.subs[resourcev3.ListenerType]
	for _, h := range p.hosts {
		lds.names[h] = true
	}
	p.mu.Unlock()
	return []string{resourcev3.ListenerType}
}

// subscribes reports whether the proxy would be sent a change to the named
// resource of typeURL.
func (p *proxy) subscribes(typeURL, name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.subs[typeURL]
	return s.names[name] || (s.wildcard && s.have[name] != "")
}

// checkComplete records the first moment the proxy holds everything it
// subscribed to.
func (p *proxy) checkComplete(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.complete.IsZero() {
		return
	}
	for _, s := range p.subs {
		if !s.satisfied(p.kind) {
			return
		}
	}
	p.complete = now
	p.fleet.completed(p)
}

func (p *proxy) completedAt() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.complete
}

// subscription is what a proxy asked for of one type and holds of it.
type subscription struct {
	typeURL  string
	wildcard bool
	names    map[string]bool
	have     map[string]string // name → version (Delta) or "1" (SotW)
	received bool
	// refs are the names each held resource refers to (listeners to route
	// configurations, clusters to load assignments, a gRPC client's route
	// configurations to clusters).
	refs map[string][]string
	// SotW: the version and nonce to ACK with.
	version, nonce string
}

func newSubscription(typeURL string, wildcard bool) *subscription {
	return &subscription{typeURL: typeURL, wildcard: wildcard, names: map[string]bool{}, have: map[string]string{}, refs: map[string][]string{}}
}

// satisfied: a wildcard type has answered; a named one holds every name.
func (s *subscription) satisfied(kind Kind) bool {
	if s.wildcard {
		return s.received
	}
	if len(s.names) == 0 {
		// Nothing to ask for: a gRPC client asks for no clusters before
		// it has routes.
		return kind != Proxyless || s.typeURL != resourcev3.ListenerType
	}
	for name := range s.names {
		if _, ok := s.have[name]; !ok {
			return false
		}
	}
	return true
}

// wanted is the union of what held resources refer to.
func (s *subscription) wanted() map[string]bool {
	out := map[string]bool{}
	for _, names := range s.refs {
		for _, n := range names {
			out[n] = true
		}
	}
	return out
}

func (p *proxy) String() string { return fmt.Sprintf("%s (%s)", p.id, p.kind) }
