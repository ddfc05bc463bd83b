package debounce

import (
	"context"
	"sync"
	"time"
)

// Debouncer turns notifications into coalesced callback runs.
type Debouncer struct {
	Quiet    time.Duration
	MaxDelay time.Duration
	// leading runs the callback at once for a notification after a quiet
	// spell (NewLeading).
	leading bool
	// pending and flushed wake Run for a Notify and a Flush.
	pending chan struct{}
	flushed chan struct{}

	mu sync.Mutex
	// notified counts Notify calls. handled is what notified was when the
	// last run started (or at Clear); consistent what it was at the last
	// Flush. A run is due when notified != handled, and need not wait
	// for the quiet when consistent == notified as well.
	notified, handled, consistent uint64
}

// New returns a debouncer; quiet must be positive and maxDelay at least quiet.
func New(quiet, maxDelay time.Duration) *Debouncer {
	return &Debouncer{
		Quiet: quiet, MaxDelay: max(maxDelay, quiet),
		pending: make(chan struct{}, 1), flushed: make(chan struct{}, 1),
	}
}

// NewLeading returns a debouncer that runs the callback at once for a
// notification ending a quiet spell (no run in the last quiet), and
// debounces the notifications that follow as New does: an isolated change
// is not delayed, a burst costs at most one run more. Only for callers
// whose every notified state is consistent on its own (the copilot's
// sources); the pilot's MCP collections arrive one by one and must settle
// (or be flushed).
func NewLeading(quiet, maxDelay time.Duration) *Debouncer {
	d := New(quiet, maxDelay)
	d.leading = true
	return d
}

// Notify records that something changed.
func (d *Debouncer) Notify() {
	d.mu.Lock()
	d.notified++
	d.mu.Unlock()
	wake(d.pending)
}

// Flush says that the state notified so far is consistent: the callback
// runs for it without waiting for the quiet, at once or by ending a settle
// in progress. A Flush when nothing was notified since the last run does
// nothing; a notification after a Flush waits for the quiet (or the next
// Flush) again.
func (d *Debouncer) Flush() {
	d.mu.Lock()
	d.consistent = d.notified
	d.mu.Unlock()
	wake(d.flushed)
}

// Clear forgets a pending notification. A caller that brings its state up
// to date by other means (an initial build) clears first, so Run does not
// repeat that work; a notification after Clear is kept.
func (d *Debouncer) Clear() {
	d.mu.Lock()
	d.handled = d.notified
	d.mu.Unlock()
	select {
	case <-d.pending:
	default:
	}
}

// Run calls fn after each burst of notifications until ctx is done.
func (d *Debouncer) Run(ctx context.Context, fn func()) {
	var lastRun time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.pending:
		case <-d.flushed:
		}
		due, flushed := d.state()
		if !due {
			continue // covered by the last run, or a Flush with nothing new
		}
		if !flushed && (!d.leading || time.Since(lastRun) < d.Quiet) {
			if !d.settle(ctx) {
				return
			}
		}
		d.start()
		fn()
		lastRun = time.Now()
	}
}

// settle waits until notifications pause for Quiet, MaxDelay has passed
// or a Flush vouches for everything notified.
func (d *Debouncer) settle(ctx context.Context) bool {
	deadline := time.NewTimer(d.MaxDelay)
	defer deadline.Stop()
	quiet := time.NewTimer(d.Quiet)
	defer quiet.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return true
		case <-quiet.C:
			return true
		case <-d.pending:
			quiet.Reset(d.Quiet)
		case <-d.flushed:
			if _, flushed := d.state(); flushed {
				return true
			}
		}
	}
}

// state reports whether a run is due and whether a Flush covers every
// notification it is due for.
func (d *Debouncer) state() (due, flushed bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	due = d.notified != d.handled
	return due, due && d.consistent == d.notified
}

// start marks every notification so far as handled by the run starting:
// the callback reads the state they announced.
func (d *Debouncer) start() {
	d.mu.Lock()
	d.handled = d.notified
	d.mu.Unlock()
}

func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
