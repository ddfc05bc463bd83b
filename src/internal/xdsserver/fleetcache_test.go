package xdsserver

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	streamv3 "github.com/envoyproxy/go-control-plane/pkg/server/stream/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// twinCaches drives go-control-plane's LinearCache and a fleetCache with
// the same changes and the same proxies, the way the xDS server drives a
// cache, and expects the same answers from both.
type twinCaches struct {
	rng     *rand.Rand
	typeURL string
	names   []string
	linear  *cachev3.LinearCache
	fleet   *fleetCache
	proxies []*twinProxy
	step    int
}

// twinProxy is one proxy's stream to each cache.
type twinProxy struct {
	delta, wildcard bool
	names           []string // subscribed, when not wildcard
	sides           [2]*twinSide
}

// twinSide is the server's state of one stream to one of the caches.
type twinSide struct {
	sub      streamv3.Subscription
	cancel   func()
	out      chan cachev3.Response
	deltaOut chan cachev3.DeltaResponse
	accepted string // the version last ACKed (State of the World)
	received string // the version last received
	nonce    int
}

func (t *twinCaches) caches() [2]cachev3.Cache { return [2]cachev3.Cache{t.linear, t.fleet} }

// update sets and deletes a few random resources in both caches.
func (t *twinCaches) update() {
	set := map[string]types.Resource{}
	var deleted []string
	for range 1 + t.rng.IntN(3) {
		name := t.names[t.rng.IntN(len(t.names))]
		if t.rng.IntN(4) == 0 {
			deleted = append(deleted, name)
			continue
		}
		set[name] = t.resource(name, t.rng.IntN(3)) // few variants: Delta hashes repeat
	}
	Expect(t.linear.UpdateResources(set, deleted)).To(Succeed())
	Expect(t.fleet.UpdateResources(set, deleted)).To(Succeed())
}

func (t *twinCaches) resource(name string, variant int) types.Resource {
	if t.typeURL == resourcev3.ClusterType {
		return &clusterv3.Cluster{Name: name, PerConnectionBufferLimitBytes: wrapperspb.UInt32(uint32(variant + 1))}
	}
	return &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{Priority: uint32(variant)}}}
}

// connect opens a new stream for p (a first connection or a reconnect,
// which declares what the proxy holds) and sends its first request.
func (t *twinCaches) connect(p *twinProxy) {
	for i := range p.sides {
		previous := p.sides[i]
		side := &twinSide{out: make(chan cachev3.Response, 1), deltaOut: make(chan cachev3.DeltaResponse, 1)}
		if previous != nil {
			if previous.cancel != nil {
				previous.cancel()
			}
			side.accepted = previous.accepted
		}
		p.sides[i] = side
		if p.delta {
			var held map[string]string
			if previous != nil {
				held = withoutKey(previous.sub.ReturnedResources())
			}
			side.sub = streamv3.NewDeltaSubscription(p.subscribeList(), nil, held, true)
			t.deltaRequest(i, side, &cachev3.DeltaRequest{TypeUrl: t.typeURL, ResourceNamesSubscribe: p.subscribeList(), InitialResourceVersions: held})
			continue
		}
		side.sub = streamv3.NewSotwSubscription(p.subscribeList(), true)
		t.sotwRequest(i, side, p.subscribeList())
	}
}

func (p *twinProxy) subscribeList() []string {
	if p.wildcard {
		return nil
	}
	return slices.Clone(p.names)
}

func (t *twinCaches) sotwRequest(i int, side *twinSide, names []string) {
	if side.cancel != nil {
		side.cancel()
	}
	req := &cachev3.Request{TypeUrl: t.typeURL, ResourceNames: names, VersionInfo: side.accepted}
	if side.nonce > 0 {
		req.ResponseNonce = fmt.Sprint(side.nonce)
	}
	cancel, err := t.caches()[i].CreateWatch(req, side.sub, side.out)
	Expect(err).NotTo(HaveOccurred())
	side.cancel = cancel
}

func (t *twinCaches) deltaRequest(i int, side *twinSide, req *cachev3.DeltaRequest) {
	if side.cancel != nil {
		side.cancel()
	}
	if side.nonce > 0 {
		req.ResponseNonce = fmt.Sprint(side.nonce)
	}
	cancel, err := t.caches()[i].CreateDeltaWatch(req, side.sub, side.deltaOut)
	Expect(err).NotTo(HaveOccurred())
	side.cancel = cancel
}

func withoutKey(m map[string]string) map[string]string {
	out := maps.Clone(m)
	delete(out, knownVersionKey)
	return out
}

// deliver takes the answers the proxy's streams hold, expects them alike,
// and applies them as the server does. It reports whether there were any.
func (t *twinCaches) deliver(p *twinProxy) bool {
	got := [2]*answer{}
	for i, side := range p.sides {
		got[i] = pending(side, p.delta)
	}
	where := fmt.Sprintf("step %d, proxy delta=%t wildcard=%t names=%v", t.step, p.delta, p.wildcard, p.names)
	Expect(got[1] == nil).To(Equal(got[0] == nil), "%s: LinearCache answered %v, fleetCache %v", where, got[0], got[1])
	if got[0] == nil {
		return false
	}
	Expect(*got[1]).To(Equal(*got[0]), where)
	for _, side := range p.sides {
		side.nonce++
	}
	return true
}

// answer is what a response says, comparable across the caches.
type answer struct {
	version   string
	resources map[string]string // name → version (Delta) or ""
	removed   []string
	returned  map[string]string
}

func pending(side *twinSide, delta bool) *answer {
	if delta {
		select {
		case r := <-side.deltaOut:
			side.sub.SetReturnedResources(r.GetNextVersionMap())
			out, err := r.GetDeltaDiscoveryResponse()
			Expect(err).NotTo(HaveOccurred())
			a := &answer{version: r.GetResponseVersion(), resources: map[string]string{}, returned: withoutKey(r.GetReturnedResources())}
			for _, res := range out.GetResources() {
				a.resources[res.GetName()] = res.GetVersion()
			}
			a.removed = slices.Sorted(slices.Values(out.GetRemovedResources()))
			return a
		default:
			return nil
		}
	}
	select {
	case r := <-side.out:
		side.sub.SetReturnedResources(r.GetReturnedResources())
		side.received = r.GetResponseVersion()
		out, err := r.GetDiscoveryResponse()
		Expect(err).NotTo(HaveOccurred())
		a := &answer{version: r.GetResponseVersion(), resources: map[string]string{}, returned: withoutKey(r.GetReturnedResources())}
		for _, name := range resourceNames(out) {
			a.resources[name] = ""
		}
		return a
	default:
		return nil
	}
}

func resourceNames(out *discoveryv3.DiscoveryResponse) []string {
	var names []string
	for _, a := range out.GetResources() {
		m, err := a.UnmarshalNew()
		Expect(err).NotTo(HaveOccurred())
		names = append(names, cachev3.GetResourceName(m))
	}
	return names
}

// act makes one proxy do something: answer what it got (ACK or, for
// State of the World, NACK), change what it subscribes to, or reconnect.
func (t *twinCaches) act(p *twinProxy) {
	answered := t.deliver(p)
	switch r := t.rng.IntN(10); {
	case r == 0:
		t.connect(p)
	case r <= 2 && !p.wildcard:
		p.names = t.pick()
		t.request(p, true, answered)
	case answered:
		t.request(p, t.rng.IntN(4) > 0, true)
	}
}

// request sends the proxy's next request on both streams: an ACK of what
// it got (or a NACK), with its current subscription.
func (t *twinCaches) request(p *twinProxy, ack, answered bool) {
	for i, side := range p.sides {
		// The server ends the open watch before it changes the subscription.
		if side.cancel != nil {
			side.cancel()
			side.cancel = nil
		}
		if p.delta {
			req := &cachev3.DeltaRequest{TypeUrl: t.typeURL}
			if !p.wildcard {
				current := side.sub.SubscribedResources()
				for _, name := range p.names {
					if _, ok := current[name]; !ok {
						req.ResourceNamesSubscribe = append(req.ResourceNamesSubscribe, name)
					}
				}
				for name := range current {
					if !slices.Contains(p.names, name) {
						req.ResourceNamesUnsubscribe = append(req.ResourceNamesUnsubscribe, name)
					}
				}
				side.sub.UpdateResourceSubscriptions(req.ResourceNamesSubscribe, req.ResourceNamesUnsubscribe)
			}
			t.deltaRequest(i, side, req)
			continue
		}
		if ack && answered {
			side.accepted = side.received
		}
		side.sub.SetResourceSubscription(p.subscribeList())
		t.sotwRequest(i, side, p.subscribeList())
	}
}

func (t *twinCaches) pick() []string {
	var names []string
	for _, name := range t.names {
		if t.rng.IntN(2) == 0 {
			names = append(names, name)
		}
	}
	return names
}

// expectSameOpenAnswers expects both caches to have answered the same
// proxies (without taking the answers).
func (t *twinCaches) expectSameOpenAnswers() {
	for _, p := range t.proxies {
		linear, fleet := p.sides[0], p.sides[1]
		Expect(len(fleet.out)+len(fleet.deltaOut)).To(Equal(len(linear.out)+len(linear.deltaOut)),
			"step %d, proxy delta=%t wildcard=%t names=%v", t.step, p.delta, p.wildcard, p.names)
	}
}

var _ = Describe("fleetCache", func() {
	DescribeTable("answers every proxy as go-control-plane's LinearCache does, through random changes, ACKs, NACKs, subscriptions and reconnects",
		func(typeURL string) {
			for seed := range uint64(30) {
				t := &twinCaches{rng: rand.New(rand.NewPCG(seed, 17)), typeURL: typeURL,
					linear: cachev3.NewLinearCache(typeURL, cachev3.WithVersionPrefix("twin-")), fleet: newFleetCache(typeURL, "twin-")}
				for i := range 8 {
					t.names = append(t.names, fmt.Sprintf("resource-%d", i))
				}
				for i := range 8 {
					p := &twinProxy{delta: i%2 == 1, wildcard: i%4 < 2}
					p.names = t.pick()
					t.proxies = append(t.proxies, p)
					t.connect(p)
				}
				for t.step = range 400 {
					if t.rng.IntN(3) == 0 {
						t.update()
						t.expectSameOpenAnswers()
						continue
					}
					t.act(t.proxies[t.rng.IntN(len(t.proxies))])
				}
			}
		},
		Entry("load assignments (partial state)", resourcev3.EndpointType),
		Entry("clusters (full state in State of the World)", resourcev3.ClusterType),
	)

	It("keeps a bounded log of changes and compares in full an ACK of a version it no longer reaches", func() {
		var log changeLog
		for v := range uint64(5000) {
			log.add(v+1, []string{fmt.Sprint("r", v%10)}, 10)
		}
		Expect(len(log.entries)).To(BeNumerically("<=", minChangeLog))
		_, ok := log.since(1)
		Expect(ok).To(BeFalse())
		names, ok := log.since(4998)
		Expect(ok).To(BeTrue())
		Expect(names).To(Equal([]string{"r8", "r9"}))
		names, ok = log.since(5000)
		Expect(ok).To(BeTrue())
		Expect(names).To(BeEmpty())
		Expect(names).NotTo(BeNil(), "no change is not 'unknown'")
	})
})

var _ = Describe("fleetCache.UpdateResources", func() {
	It("refuses a nil resource and changes nothing", func() {
		c := newFleetCache(resourcev3.EndpointType, "p-")
		la := &endpointv3.ClusterLoadAssignment{ClusterName: "a"}
		Expect(c.UpdateResources(map[string]types.Resource{"a": la}, nil)).To(Succeed())
		err := c.UpdateResources(map[string]types.Resource{"a": nil, "b": la}, []string{"a"})
		Expect(err).To(MatchError(ContainSubstring("resource a is nil")))
		Expect(c.version).To(Equal(uint64(1)))
		Expect(c.resources).To(HaveKey("a"))
		Expect(c.resources).NotTo(HaveKey("b"))
	})
})
