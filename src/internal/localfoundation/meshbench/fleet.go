package meshbench

import (
	"context"
	"fmt"
	"hash/maphash"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// fleet is every simulated proxy of one control plane.
type fleet struct {
	proxies []*proxy
	log     io.Writer

	bytes, resources atomic.Int64
	watching         atomic.Pointer[watch]

	mu       sync.Mutex
	complete int
	allDone  chan struct{}
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// fleetTargets are the pilot listeners proxies connect to.
type fleetTargets struct {
	controlPlane, containers string
}

// newFleet lays out the proxies of size: gateways (`router~...`), gRPC
// clients dialling a few hosts each (`sidecar~...`, GENERATOR=grpc), and
// container sidecars of real instances, each from its own loopback
// address to the containers listener.
func newFleet(f *Foundation, size Size, to fleetTargets, log io.Writer) *fleet {
	fl := &fleet{log: log, allDone: make(chan struct{})}
	add := func(kind Kind, n int, build func(i int) *proxy) {
		for i := range n {
			fl.proxies = append(fl.proxies, build(i))
		}
	}
	add(GatewaySotW, size.GatewaysSotW, func(i int) *proxy {
		return newProxy(GatewaySotW, fmt.Sprintf("router~127.0.0.1~gateway-sotw-%d~cf", i), i, to.controlPlane, fl)
	})
	add(GatewayDelta, size.GatewaysDelta, func(i int) *proxy {
		return newProxy(GatewayDelta, fmt.Sprintf("router~127.0.0.1~gateway-delta-%d~cf", i), i, to.controlPlane, fl)
	})
	add(Proxyless, size.Proxyless, func(i int) *proxy {
		ip := loopbackIP(2, i)
		p := newProxy(Proxyless, fmt.Sprintf("sidecar~%s~grpc-client-%d~cf", ip, i), i, to.controlPlane, fl)
		p.local = ip // the pilot admits an app only from the IP its node ID names
		for h := range size.HostsPerProxyless {
			p.hosts = append(p.hosts, f.Routes[(i*size.HostsPerProxyless+h)*7%len(f.Routes)].Host)
		}
		return p
	})
	sidecars := f.SidecarInstances(size.SidecarsSotW + size.SidecarsDelta)
	for i, inst := range sidecars {
		kind := SidecarSotW
		if i >= size.SidecarsSotW {
			kind = SidecarDelta
		}
		p := newProxy(kind, fmt.Sprintf("sidecar~%s~%s~x", inst.IP, inst.InstanceGUID), i, to.containers, fl)
		p.local = inst.IP
		fl.proxies = append(fl.proxies, p)
	}
	return fl
}

// start connects every proxy; they reconnect until stop.
func (fl *fleet) start() {
	ctx, cancel := context.WithCancel(context.Background())
	fl.cancel = cancel
	for _, p := range fl.proxies {
		fl.wg.Go(func() { p.run(ctx) })
	}
}

func (fl *fleet) stop() {
	if fl.cancel != nil {
		fl.cancel()
		fl.wg.Wait()
	}
}

func (fl *fleet) logf(format string, args ...any) {
	fmt.Fprintf(fl.log, format+"\n", args...)
}

func (fl *fleet) count(bytes, resources int) {
	fl.bytes.Add(int64(bytes))
	fl.resources.Add(int64(resources))
}

// completed counts a proxy that holds its whole configuration.
func (fl *fleet) completed(*proxy) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	fl.complete++
	if fl.complete == len(fl.proxies) {
		close(fl.allDone)
	}
}

// waitComplete waits until every proxy holds its whole configuration.
func (fl *fleet) waitComplete(ctx context.Context) error {
	select {
	case <-fl.allDone:
		return nil
	case <-ctx.Done():
		fl.mu.Lock()
		defer fl.mu.Unlock()
		return fmt.Errorf("%d of %d proxies hold their whole configuration: %w", fl.complete, len(fl.proxies), ctx.Err())
	}
}

func (fl *fleet) currentWatch() *watch { return fl.watching.Load() }

// watch waits for one change to reach every proxy subscribed to the
// resource it changes.
type watch struct {
	typeURL, name string
	check         func(body []byte) bool
	seed          maphash.Seed
	memo          sync.Map // body hash → bool: many proxies get the same body

	mu       sync.Mutex
	expected map[*proxy]bool
	acked    map[*proxy]time.Time
	done     chan struct{}
}

// expect starts a watch on the fleet: it records ACKs from now on and
// expects them from every proxy subscribed to the resource now.
func (fl *fleet) expect(typeURL, name string, check func([]byte) bool) *watch {
	w := &watch{typeURL: typeURL, name: name, check: check, seed: maphash.MakeSeed(),
		expected: map[*proxy]bool{}, acked: map[*proxy]time.Time{}, done: make(chan struct{})}
	fl.watching.Store(w)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range fl.proxies {
		if p.subscribes(typeURL, name) {
			w.expected[p] = true
		}
	}
	w.closeIfDone()
	return w
}

// holds checks a body once per distinct content.
func (w *watch) holds(body []byte) bool {
	key := maphash.Bytes(w.seed, body)
	if v, ok := w.memo.Load(key); ok {
		return v.(bool)
	}
	ok := w.check(body)
	w.memo.Store(key, ok)
	return ok
}

func (w *watch) ack(p *proxy, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, seen := w.acked[p]; !seen {
		w.acked[p] = at
	}
	w.closeIfDone()
}

// closeIfDone closes done once every expected proxy has ACKed; the caller
// holds w.mu.
func (w *watch) closeIfDone() {
	select {
	case <-w.done:
		return
	default:
	}
	for p := range w.expected {
		if _, ok := w.acked[p]; !ok {
			return
		}
	}
	close(w.done)
}

// result is the time from start to the last expected ACK, and how many
// proxies were expected and ACKed in time.
func (w *watch) result(start time.Time) (last time.Duration, expected, acked int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for p := range w.expected {
		if at, ok := w.acked[p]; ok {
			acked++
			last = max(last, at.Sub(start))
		}
	}
	return last, len(w.expected), acked
}
