package copilot

import (
	"context"
	"sync"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
)

// endpointsFirstLead is how long a full build waits after an
// endpoints-first publish: the pilots and their proxies get the two cores
// of a small cell to themselves while they take it (ADR 20; 500 sidecars
// take an internal app's change in 100-170 ms).
const endpointsFirstLead = 150 * time.Millisecond

// endpointsFirstWait bounds how long a full build waits for the
// endpoints-first goroutine to take the NATS changes notified before it.
// The debounce's leading edge starts a build as the change arrives, so
// the bound is what the goroutine may take to publish it: 20-45 ms
// usually, 80-120 ms while the pilot translates beside it on the same two
// cores. Past the bound the build runs in full even when it would publish
// nothing new (one full-size run at a 100 ms bound did, after a 119 ms
// publish: 440 ms of build beside the next change).
const endpointsFirstWait = 300 * time.Millisecond

// endpointsFirst paces the copilot's endpoints-first goroutine (ADR 20)
// against its full builds. NATS changes wake the goroutine at once, not
// through the debouncer, and it publishes while a full build runs (at
// 100,000 endpoints one takes 250-400 ms on two cores): an instance that
// starts during a build no longer waits for it. A full build waits for the
// goroutine to take the changes notified before it, then for the lead.
// Its methods are safe for concurrent use.
type endpointsFirst struct {
	// wait bounds how long a full build waits for the goroutine; lead is
	// how long it lets a publish have the cores.
	wait, lead time.Duration
	wake       chan struct{}

	mu sync.Mutex
	// notified counts NATS changes, handled is what notified was when the
	// goroutine last took a snapshot; progress is closed (and replaced)
	// whenever handled moves.
	notified, handled uint64
	progress          chan struct{}
	lastPublish       time.Time
}

func newEndpointsFirst() *endpointsFirst {
	return &endpointsFirst{wait: endpointsFirstWait, lead: endpointsFirstLead, wake: make(chan struct{}, 1), progress: make(chan struct{})}
}

// notify records a NATS change and wakes the goroutine.
func (e *endpointsFirst) notify() {
	e.mu.Lock()
	e.notified++
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// run calls publish for every wake-up until ctx ends; publish takes the
// changes and reports whether it published.
func (e *endpointsFirst) run(ctx context.Context, publish func() bool) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
		}
		e.mu.Lock()
		taken := e.notified
		e.mu.Unlock()
		published := publish()
		e.mu.Lock()
		e.handled = max(e.handled, taken)
		if published {
			e.lastPublish = time.Now()
		}
		close(e.progress)
		e.progress = make(chan struct{})
		e.mu.Unlock()
	}
}

// await returns once the goroutine has taken every change notified before
// the call (or after wait), and lead has passed since its last publish. It
// reports whether the goroutine took them all.
func (e *endpointsFirst) await(ctx context.Context) bool {
	e.mu.Lock()
	target := e.notified
	e.mu.Unlock()
	deadline := time.NewTimer(e.wait)
	defer deadline.Stop()
	taken, progress := e.taken(target)
	for waiting := true; waiting && !taken; taken, progress = e.taken(target) {
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			waiting = false
		case <-progress:
		}
	}
	e.mu.Lock()
	lead := e.lead - time.Since(e.lastPublish)
	e.mu.Unlock()
	if lead > 0 {
		lifecycle.Sleep(ctx, lead)
	}
	return taken
}

// taken reports whether the goroutine took the changes up to target, and
// the channel closed when it next takes some.
func (e *endpointsFirst) taken(target uint64) (bool, <-chan struct{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.handled >= target, e.progress
}
