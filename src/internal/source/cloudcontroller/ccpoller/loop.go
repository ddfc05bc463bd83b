package ccpoller

import (
	"context"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
)

// Why a full sync runs: the `reason` label of
// cfmesh_copilot_cc_full_sync_triggers_total.
const (
	reasonStart          = "start"
	reasonPeriodic       = "periodic"
	reasonRetry          = "retry"
	reasonEventPollError = "event_poll_failed"
	reasonTruncated      = "events_truncated"
	reasonUnusableEvent  = "unusable_event"
	reasonLargeChange    = "large_change"
	reasonStaleCursor    = "stale_cursor"
)

// loop is the poller's state, owned by Run's goroutine. Two activities
// share it: event polls (every EventPollInterval, in the loop) and full
// syncs (every FullSyncInterval, listing in a goroutine of their own so
// that events keep flowing while a large foundation is listed).
type loop struct {
	p *Poller
	// rd serves the loop's goroutine, syncRd the full sync's listing.
	rd, syncRd reader
	logger     lager.Logger

	view      *cloudcontroller.View // nil until the first full sync
	cursor    cloudcontroller.EventCursor
	cursorOK  bool
	lastPoll  time.Time // last successful event poll, or cursor start
	published bool
	last      source.DesiredRoutes
	rejected  map[string]string // route or route policy GUID → reason, as of the last translation
	// policiesKnown is whether the last full sync found route policies in
	// Cloud Controller (nil before the first).
	policiesKnown *bool

	// The running full sync, if any, and what events touched since it
	// started: re-read once it finishes, since its listing may predate them.
	sync    *fullSync
	touched cloudcontroller.Refresh
	// pending is the reason for another full sync as soon as the running
	// one ends.
	pending string

	syncFailures, eventFailures int
	syncTimer                   *time.Timer
	nextReason                  string
}

type fullSync struct {
	reason  string
	started time.Time
	done    chan syncResult
}

type syncResult struct {
	foundation cloudcontroller.Foundation
	// policiesKnown is false when Cloud Controller predates route policies.
	policiesKnown bool
	err           error
}

func (l *loop) run(ctx context.Context) {
	l.syncTimer = time.NewTimer(0)
	l.nextReason = reasonStart
	eventTimer := time.NewTimer(time.Duration(l.p.cfg.EventPollInterval))
	defer l.syncTimer.Stop()
	defer eventTimer.Stop()
	for {
		var syncDone chan syncResult
		if l.sync != nil {
			syncDone = l.sync.done
		}
		select {
		case <-ctx.Done():
			if l.sync != nil {
				<-l.sync.done
			}
			return
		case <-l.syncTimer.C:
			l.startSync(ctx, l.nextReason)
		case res := <-syncDone:
			l.finishSync(ctx, res)
		case <-eventTimer.C:
			eventTimer.Reset(l.pollEvents(ctx))
		}
	}
}

// scheduleSync arms the full sync timer.
func (l *loop) scheduleSync(delay time.Duration, reason string) {
	l.syncTimer.Stop()
	l.syncTimer.Reset(delay)
	l.nextReason = reason
}

// requestSync asks for a full sync now: after the running one if there is
// one, and not while full syncs are failing (their backoff decides then).
func (l *loop) requestSync(reason string) {
	switch {
	case l.sync != nil:
		l.pending = reason
	case l.syncFailures == 0:
		l.scheduleSync(0, reason)
	}
}

// startSync starts a full sync. Without a usable event cursor it first
// starts one at the newest event, so that event polling resumes from before
// the listing and misses nothing the listing misses.
func (l *loop) startSync(ctx context.Context, reason string) {
	l.p.metrics.triggers.WithLabelValues(reason).Inc()
	if !l.cursorOK {
		cursor, err := l.rd.startCursor(ctx, time.Duration(l.p.cfg.EventLookback))
		if err != nil {
			l.syncFailed(ctx, reason, err)
			return
		}
		l.cursor, l.cursorOK, l.lastPoll = cursor, true, time.Now()
		l.logger.Info("event-cursor-started", lager.Data{"newest_event": cursor.Watermark(), "seen": cursor.Seen()})
	}
	s := &fullSync{reason: reason, started: time.Now(), done: make(chan syncResult, 1)}
	l.sync, l.touched = s, cloudcontroller.Refresh{}
	go func() {
		f, known, err := l.syncRd.fullSync(ctx)
		s.done <- syncResult{foundation: f, policiesKnown: known, err: err}
	}()
}

// finishSync takes a full sync's listing, re-reads what events touched
// meanwhile, and only then replaces the view.
func (l *loop) finishSync(ctx context.Context, res syncResult) {
	s := l.sync
	l.sync = nil
	l.p.metrics.duration.Observe(time.Since(s.started).Seconds())
	if ctx.Err() != nil {
		return
	}
	if res.err != nil {
		l.syncFailed(ctx, s.reason, res.err)
		return
	}
	view := cloudcontroller.NewView(res.foundation)
	if !l.touched.Empty() {
		delta, err := l.rd.refresh(ctx, l.touched, view)
		if err != nil {
			l.syncFailed(ctx, s.reason, err)
			return
		}
		view.Apply(delta)
	}
	l.view, l.touched = view, cloudcontroller.Refresh{}
	l.noteRoutePolicySupport(res.policiesKnown)
	if l.syncFailures > 0 {
		l.logger.Info("sync-recovered", lager.Data{"failed_syncs": l.syncFailures})
		l.syncFailures = 0
	}
	l.p.metrics.syncs.WithLabelValues(resultSuccess).Inc()
	l.p.metrics.lastSuccess.SetToCurrentTime()
	routes, apps, processes := view.Size()
	l.logger.Info("full-sync-done", lager.Data{"reason": s.reason, "duration": time.Since(s.started).String(),
		"routes": routes, "apps": apps, "processes": processes})
	l.translateAndPublish("full-sync")
	l.scheduleNextSync()
}

func (l *loop) scheduleNextSync() {
	if l.pending != "" {
		l.scheduleSync(0, l.pending)
		l.pending = ""
		return
	}
	l.scheduleSync(time.Duration(l.p.cfg.FullSyncInterval), reasonPeriodic)
}

func (l *loop) syncFailed(ctx context.Context, reason string, err error) {
	if ctx.Err() != nil {
		return
	}
	l.touched, l.pending = cloudcontroller.Refresh{}, ""
	l.syncFailures++
	l.p.metrics.syncs.WithLabelValues(resultFailure).Inc()
	delay := backoff(time.Duration(l.p.cfg.EventPollInterval), l.syncFailures)
	data := l.p.failureData(l.syncFailures, delay)
	data["reason"] = reason
	l.logger.Error("sync-failed", err, data)
	l.scheduleSync(delay, reasonRetry)
}

// noteRoutePolicySupport logs when Cloud Controller turns out not to know
// route policies (RFC-0055), and when it learns them after an upgrade.
// Without them no domain enforces route policies, so none are missed.
func (l *loop) noteRoutePolicySupport(known bool) {
	switch {
	case l.policiesKnown != nil && *l.policiesKnown == known:
		return
	case !known:
		l.logger.Info("route-policies-unsupported", lager.Data{"api_url": l.p.cfg.APIURL,
			"detail": "GET /v3/route_policies is an unknown request: this Cloud Controller predates route policies"})
	case l.policiesKnown != nil:
		l.logger.Info("route-policies-supported", lager.Data{"api_url": l.p.cfg.APIURL})
	}
	l.policiesKnown = &known
}
