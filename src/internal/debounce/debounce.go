package debounce

import (
	"context"
	"time"
)

// Debouncer turns notifications into coalesced callback runs.
type Debouncer struct {
	Quiet    time.Duration
	MaxDelay time.Duration
	// leading runs the callback at once for a notification after a quiet
	// spell (NewLeading).
	leading bool
	pending chan struct{}
}

// New returns a debouncer; quiet must be positive and maxDelay at least quiet.
func New(quiet, maxDelay time.Duration) *Debouncer {
	return &Debouncer{Quiet: quiet, MaxDelay: max(maxDelay, quiet), pending: make(chan struct{}, 1)}
}

// NewLeading returns a debouncer that runs the callback at once for a
// notification ending a quiet spell (no run in the last quiet), and
// debounces the notifications that follow as New does: an isolated change
// is not delayed, a burst costs at most one run more. Only for callers
// whose every notified state is consistent on its own (the copilot's
// sources); the pilot's MCP collections arrive one by one and must settle.
func NewLeading(quiet, maxDelay time.Duration) *Debouncer {
	d := New(quiet, maxDelay)
	d.leading = true
	return d
}

// Notify records that something changed.
func (d *Debouncer) Notify() {
	select {
	case d.pending <- struct{}{}:
	default:
	}
}

// Clear forgets a pending notification. A caller that brings its state up
// to date by other means (an initial build) clears first, so Run does not
// repeat that work; a notification after Clear is kept.
func (d *Debouncer) Clear() {
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
		}
		if !d.leading || time.Since(lastRun) < d.Quiet {
			if !d.settle(ctx) {
				return
			}
		}
		fn()
		lastRun = time.Now()
	}
}

// settle waits until notifications pause for Quiet or MaxDelay has passed.
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
		}
	}
}
