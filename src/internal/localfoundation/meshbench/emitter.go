package meshbench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// startNATS runs an embedded NATS server on a free loopback port.
func startNATS() (*server.Server, error) {
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true, MaxPayload: 1 << 20})
	if err != nil {
		return nil, err
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("embedded NATS did not start")
	}
	return s, nil
}

// emitter plays the route-emitters of every cell: each cell re-emits its
// instances' registrations every interval, at its own phase, so the
// foundation's registrations arrive spread over the interval as they do
// from cell-local route-emitters; a router.start (or
// service-discovery.start) makes every cell re-emit within a jitter of
// 0.2 × the interval, as route-emitter does.
type emitter struct {
	nc       *nats.Conn
	interval time.Duration

	mu    sync.Mutex
	cells []*cell
	extra map[string]Payload // registrations added by changes, by key

	sent   atomic.Int64
	paused atomic.Bool
}

type cell struct {
	payloads []Payload
	next     time.Time
}

func newEmitter(natsURL string, payloads []Payload, interval time.Duration) (*emitter, error) {
	nc, err := nats.Connect(natsURL, nats.Name("meshbench-route-emitters"), nats.MaxReconnects(-1))
	if err != nil {
		return nil, err
	}
	e := &emitter{nc: nc, interval: interval, extra: map[string]Payload{}}
	now := time.Now()
	e.cells = make([]*cell, cells)
	for i := range e.cells {
		e.cells[i] = &cell{next: now.Add(time.Duration(rand.Int64N(int64(interval))))}
	}
	for i, p := range payloads {
		c := e.cells[i%cells]
		c.payloads = append(c.payloads, p)
	}
	return e, nil
}

// run re-emits on schedule until ctx ends.
func (e *emitter) run(ctx context.Context) error {
	restart := func(*nats.Msg) { e.rescheduleAll(0.2) }
	for _, subject := range []string{"router.start", "service-discovery.start"} {
		if _, err := e.nc.Subscribe(subject, restart); err != nil {
			return err
		}
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			e.nc.Close()
			return nil
		case now := <-tick.C:
			if !e.paused.Load() {
				e.emitDue(now)
			}
		}
	}
}

// rescheduleAll makes every cell re-emit within jitter × interval.
func (e *emitter) rescheduleAll(jitter float64) {
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.cells {
		c.next = now.Add(time.Duration(rand.Float64() * jitter * float64(e.interval)))
	}
}

func (e *emitter) emitDue(now time.Time) {
	e.mu.Lock()
	var due []Payload
	for i, c := range e.cells {
		if now.Before(c.next) {
			continue
		}
		due = append(due, c.payloads...)
		if i == 0 {
			for _, p := range e.extra {
				due = append(due, p)
			}
		}
		c.next = c.next.Add(e.interval)
		if c.next.Before(now) {
			c.next = now.Add(e.interval)
		}
	}
	e.mu.Unlock()
	for _, p := range due {
		e.publish(p.Subject, p.Data)
	}
}

func (e *emitter) publish(subject string, data []byte) {
	if err := e.nc.Publish(subject, data); err == nil {
		e.sent.Add(1)
	}
}

// pause stops (or resumes) the periodic re-emits; what falls due while
// paused is emitted on resume.
func (e *emitter) pause(paused bool) { e.paused.Store(paused) }

// register publishes a new registration at once and re-emits it from then
// on, as route-emitter does for an instance that starts.
func (e *emitter) register(key string, p Payload) {
	e.mu.Lock()
	e.extra[key] = p
	e.mu.Unlock()
	e.publish(p.Subject, p.Data)
	_ = e.nc.Flush()
}

// unregister forgets a registration and publishes its unregister at once.
func (e *emitter) unregister(key string) {
	e.mu.Lock()
	p, ok := e.extra[key]
	delete(e.extra, key)
	e.mu.Unlock()
	if ok {
		e.publish(Unregister(p.Subject), p.Data)
		_ = e.nc.Flush()
	}
}

// burst publishes every registration of the foundation as fast as NATS
// takes them, returning how many and how long publishing took.
func (e *emitter) burst() (int, time.Duration) {
	e.mu.Lock()
	var all []Payload
	for _, c := range e.cells {
		all = append(all, c.payloads...)
	}
	e.mu.Unlock()
	start := time.Now()
	for _, p := range all {
		e.publish(p.Subject, p.Data)
	}
	_ = e.nc.Flush()
	return len(all), time.Since(start)
}
