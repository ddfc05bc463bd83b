package testbed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// watchReconnectPause is the pause before a Watcher opens a new stream.
const watchReconnectPause = 200 * time.Millisecond

// GatewayNode identifies an ingress gateway to the pilot.
func GatewayNode(id string) *corev3.Node {
	return &corev3.Node{Id: "router~127.0.0.1~" + id + "~cf.internal"}
}

// MeshNode identifies a proxyless gRPC client to the pilot.
func MeshNode(id string) *corev3.Node {
	return &corev3.Node{Id: "sidecar~127.0.0.1~" + id + "~cf.internal", Metadata: &structpb.Struct{
		Fields: map[string]*structpb.Value{"GENERATOR": structpb.NewStringValue("grpc")},
	}}
}

// Observation is what a proxy holds of one type after a response: the
// response replaces all listeners or clusters (State of the World sends
// them whole) and updates the route configurations or load assignments it
// carries (it sends only changed ones of those).
type Observation struct {
	At      time.Time
	TypeURL string
	Version string
	// Resources is how many resources the proxy holds; Endpoints, for
	// load assignments, how many endpoints they list together.
	Resources, Endpoints int
	// Digest identifies the content held whatever its version, so a pilot
	// restart that serves the same resources shows no change.
	Digest string
}

func (o Observation) String() string {
	return fmt.Sprintf("%s %s: %d resources, %d endpoints (version %q)", o.At.Format("15:04:05.000"), shortType(o.TypeURL), o.Resources, o.Endpoints, o.Version)
}

func shortType(typeURL string) string {
	for i := len(typeURL) - 1; i >= 0; i-- {
		if typeURL[i] == '.' {
			return typeURL[i+1:]
		}
	}
	return typeURL
}

// Snapshot is the latest observation of each type URL.
type Snapshot map[string]Observation

// Watcher follows a pilot the way a proxy does: one ADS stream asking for
// listeners (all, or the names given), the route configurations they name,
// all clusters and their load assignments, ACKing every response. It keeps
// every response's Observation and reopens the stream when it breaks (a
// pilot restart).
type Watcher struct {
	address   string
	node      *corev3.Node
	listeners []string
	cancel    context.CancelFunc
	done      chan struct{}

	mu          sync.Mutex
	history     []Observation
	latest      Snapshot
	disconnects int
	lastErr     error
	// held is what the proxy holds, by type URL and resource name; only
	// the stream goroutine touches it.
	held map[string]map[string]resourceSummary
}

// resourceSummary is one resource as held: its canonical bytes and, for a
// load assignment, its endpoint count.
type resourceSummary struct {
	data      []byte
	endpoints int
}

// Watch starts following the pilot at address as node until Stop.
func Watch(address string, node *corev3.Node, listeners ...string) *Watcher {
	ctx, cancel := context.WithCancel(context.Background())
	w := &Watcher{address: address, node: node, listeners: listeners, cancel: cancel, done: make(chan struct{}),
		latest: Snapshot{}, held: map[string]map[string]resourceSummary{}}
	go w.run(ctx)
	return w
}

// Stop ends the stream.
func (w *Watcher) Stop() {
	w.cancel()
	<-w.done
}

// Latest returns the newest observation of every type seen.
func (w *Watcher) Latest() Snapshot {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(Snapshot, len(w.latest))
	for k, v := range w.latest {
		out[k] = v
	}
	return out
}

// Since returns the observations received after t, oldest first.
func (w *Watcher) Since(t time.Time) []Observation {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []Observation
	for _, o := range w.history {
		if o.At.After(t) {
			out = append(out, o)
		}
	}
	return out
}

// Disconnects counts streams that broke, with the last error.
func (w *Watcher) Disconnects() (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.disconnects, w.lastErr
}

// Shrinks lists the observations after t that carried fewer resources or
// endpoints than baseline's of the same type: what a proxy would have lost.
func (w *Watcher) Shrinks(baseline Snapshot, t time.Time) []Observation {
	var out []Observation
	for _, o := range w.Since(t) {
		if b, ok := baseline[o.TypeURL]; ok && (o.Resources < b.Resources || o.Endpoints < b.Endpoints) {
			out = append(out, o)
		}
	}
	return out
}

// Changes lists the observations after t whose content differs from
// baseline's of the same type.
func (w *Watcher) Changes(baseline Snapshot, t time.Time) []Observation {
	var out []Observation
	for _, o := range w.Since(t) {
		if b, ok := baseline[o.TypeURL]; ok && o.Digest != b.Digest {
			out = append(out, o)
		}
	}
	return out
}

func (w *Watcher) run(ctx context.Context) {
	defer close(w.done)
	conn, err := grpc.NewClient(w.address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		w.disconnected(err)
		return
	}
	defer conn.Close()
	for ctx.Err() == nil {
		err := w.follow(ctx, conn)
		if ctx.Err() != nil {
			return
		}
		w.disconnected(err)
		select {
		case <-ctx.Done():
		case <-time.After(watchReconnectPause):
		}
	}
}

func (w *Watcher) disconnected(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.disconnects++
	w.lastErr = err
}

func (w *Watcher) record(o Observation) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.history = append(w.history, o)
	w.latest[o.TypeURL] = o
}

// subscription is what one stream asked for, per type URL.
type subscription struct {
	names          []string
	version, nonce string
	sent           bool
}

// follow runs one stream until it breaks.
func (w *Watcher) follow(ctx context.Context, conn *grpc.ClientConn) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		return err
	}
	s := &adsStream{stream: stream, node: w.node, subs: map[string]*subscription{
		resourcev3.ListenerType: {names: w.listeners}, resourcev3.ClusterType: {},
		resourcev3.RouteType: {}, resourcev3.EndpointType: {},
	}}
	for _, t := range []string{resourcev3.ListenerType, resourcev3.ClusterType} {
		if err := s.send(t); err != nil {
			return err
		}
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		if err := w.handle(s, resp); err != nil {
			return err
		}
	}
}

// adsStream is one stream and what it asked for.
type adsStream struct {
	stream grpc.BidiStreamingClient[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]
	node   *corev3.Node
	subs   map[string]*subscription
}

// send asks for typeURL's resources, ACKing the last response of the type.
func (s *adsStream) send(typeURL string) error {
	sub := s.subs[typeURL]
	sub.sent = true
	return s.stream.Send(&discoveryv3.DiscoveryRequest{Node: s.node, TypeUrl: typeURL, ResourceNames: sub.names,
		VersionInfo: sub.version, ResponseNonce: sub.nonce})
}

// handle records a response, ACKs it, and subscribes to the resources it
// names when they changed.
func (w *Watcher) handle(s *adsStream, resp *discoveryv3.DiscoveryResponse) error {
	sub := s.subs[resp.GetTypeUrl()]
	if sub == nil {
		return nil
	}
	received, follows, err := summarize(resp)
	if err != nil {
		return err
	}
	w.record(w.hold(resp, received, sub.names))
	sub.version, sub.nonce = resp.GetVersionInfo(), resp.GetNonce()
	if err := s.send(resp.GetTypeUrl()); err != nil {
		return err
	}
	next := followUpType(resp.GetTypeUrl())
	if next == "" || len(follows) == 0 || (s.subs[next].sent && slices.Equal(s.subs[next].names, follows)) {
		return nil
	}
	s.subs[next].names = follows
	return s.send(next)
}

// followUpType is the type a response's resources name: listeners name
// route configurations, clusters name load assignments.
func followUpType(typeURL string) string {
	switch typeURL {
	case resourcev3.ListenerType:
		return resourcev3.RouteType
	case resourcev3.ClusterType:
		return resourcev3.EndpointType
	}
	return ""
}

// summarize unpacks a response's resources and returns them by name, with
// the names of the resources they refer to (route configurations or
// clusters), sorted.
func summarize(resp *discoveryv3.DiscoveryResponse) (map[string]resourceSummary, []string, error) {
	received := map[string]resourceSummary{}
	var follows []string
	for _, a := range resp.GetResources() {
		m, err := anypb.UnmarshalNew(a, proto.UnmarshalOptions{})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", resp.GetTypeUrl(), err)
		}
		data, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		if err != nil {
			return nil, nil, err
		}
		name, refs, endpoints := describe(m)
		received[name] = resourceSummary{data: data, endpoints: endpoints}
		follows = append(follows, refs...)
	}
	slices.Sort(follows)
	return received, slices.Compact(follows), nil
}

// hold applies a response to what the proxy holds of its type and
// observes the result. Listeners and clusters are replaced whole; route
// configurations and load assignments are updated, and forgotten once no
// longer subscribed.
func (w *Watcher) hold(resp *discoveryv3.DiscoveryResponse, received map[string]resourceSummary, subscribed []string) Observation {
	typeURL := resp.GetTypeUrl()
	held := w.held[typeURL]
	if held == nil || typeURL == resourcev3.ListenerType || typeURL == resourcev3.ClusterType {
		held = map[string]resourceSummary{}
	}
	for name, r := range received {
		held[name] = r
	}
	if typeURL == resourcev3.RouteType || typeURL == resourcev3.EndpointType {
		for name := range held {
			if !slices.Contains(subscribed, name) {
				delete(held, name)
			}
		}
	}
	w.held[typeURL] = held
	o := Observation{At: time.Now(), TypeURL: typeURL, Version: resp.GetVersionInfo(), Resources: len(held)}
	names := make([]string, 0, len(held))
	for name, r := range held {
		names = append(names, name)
		o.Endpoints += r.endpoints
	}
	slices.Sort(names)
	h := sha256.New()
	for _, name := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(held[name].data))
		h.Write(held[name].data)
	}
	o.Digest = hex.EncodeToString(h.Sum(nil))
	return o
}

// describe returns a resource's name, the resources it refers to and, for
// a load assignment, its endpoint count.
func describe(m proto.Message) (name string, refs []string, endpoints int) {
	switch r := m.(type) {
	case *listenerv3.Listener:
		return r.GetName(), routeConfigNames(r), 0
	case *clusterv3.Cluster:
		return r.GetName(), []string{r.GetName()}, 0
	case *endpointv3.ClusterLoadAssignment:
		for _, l := range r.GetEndpoints() {
			endpoints += len(l.GetLbEndpoints())
		}
		return r.GetClusterName(), nil, endpoints
	case interface{ GetName() string }:
		return r.GetName(), nil, 0
	}
	return "", nil, 0
}

// routeConfigNames are the route configurations a listener's HTTP
// connection managers name: the API listener's (gRPC) or every filter
// chain's (Envoy).
func routeConfigNames(l *listenerv3.Listener) []string {
	var anys []*anypb.Any
	if api := l.GetApiListener().GetApiListener(); api != nil {
		anys = append(anys, api)
	}
	for _, chain := range l.GetFilterChains() {
		for _, filter := range chain.GetFilters() {
			anys = append(anys, filter.GetTypedConfig())
		}
	}
	var names []string
	for _, a := range anys {
		hcm := &hcmv3.HttpConnectionManager{}
		if a.MessageIs(hcm) && a.UnmarshalTo(hcm) == nil && hcm.GetRds().GetRouteConfigName() != "" {
			names = append(names, hcm.GetRds().GetRouteConfigName())
		}
	}
	return names
}
