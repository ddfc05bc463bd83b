package testbed

import (
	"context"
	"maps"
	"sync"
	"time"

	"google.golang.org/grpc"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
)

// Load defaults.
const (
	DefaultLoadPause       = 5 * time.Millisecond
	DefaultLoadCallTimeout = 2 * time.Second
)

// Counts are a Load's outcomes.
type Counts struct {
	Calls, Failures int
	// ByInstance counts successful calls by the instance ID that answered.
	ByInstance map[string]int
	// LastError is the last failed call's error.
	LastError error
}

// Sub returns what happened between an earlier snapshot and c.
func (c Counts) Sub(earlier Counts) Counts {
	out := Counts{Calls: c.Calls - earlier.Calls, Failures: c.Failures - earlier.Failures, ByInstance: map[string]int{}, LastError: c.LastError}
	for id, n := range c.ByInstance {
		if d := n - earlier.ByInstance[id]; d > 0 {
			out.ByInstance[id] = d
		}
	}
	if out.Failures == 0 {
		out.LastError = nil
	}
	return out
}

// Load keeps calling through one gRPC channel (a proxyless client of a
// route), one call at a time with a short pause, and counts the outcomes.
type Load struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	counts Counts
}

// StartLoad calls backend.Call over conn until Stop; each call may take
// callTimeout (DefaultLoadCallTimeout when 0), then pause (DefaultLoadPause
// when 0) passes before the next.
func StartLoad(conn grpc.ClientConnInterface, pause, callTimeout time.Duration) *Load {
	if pause <= 0 {
		pause = DefaultLoadPause
	}
	if callTimeout <= 0 {
		callTimeout = DefaultLoadCallTimeout
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Load{cancel: cancel, done: make(chan struct{}), counts: Counts{ByInstance: map[string]int{}}}
	go func() {
		defer close(l.done)
		for ctx.Err() == nil {
			callCtx, cancelCall := context.WithTimeout(ctx, callTimeout)
			id, err := backend.Call(callCtx, conn)
			cancelCall()
			if ctx.Err() != nil {
				return // a call cut short by Stop is not the route's failure
			}
			l.record(id, err)
			select {
			case <-ctx.Done():
			case <-time.After(pause):
			}
		}
	}()
	return l
}

func (l *Load) record(id string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts.Calls++
	if err != nil {
		l.counts.Failures++
		l.counts.LastError = err
		return
	}
	l.counts.ByInstance[id]++
}

// Counts returns a snapshot of the outcomes so far.
func (l *Load) Counts() Counts {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.counts
	c.ByInstance = maps.Clone(l.counts.ByInstance)
	return c
}

// Stop ends the load and returns the final counts. Calling it again
// returns the same counts.
func (l *Load) Stop() Counts {
	l.cancel()
	<-l.done
	return l.Counts()
}
