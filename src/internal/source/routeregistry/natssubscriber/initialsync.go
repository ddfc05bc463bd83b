package natssubscriber

import (
	"time"

	"code.cloudfoundry.org/lager/v3"
)

// Why an initial sync ended, logged with initial-sync-complete.
const (
	// syncEndedQuiet: every route-emitter has had time to re-emit and the
	// table stayed unchanged for QuietPeriod.
	syncEndedQuiet = "quiet"
	// syncEndedCap: InitialSyncWait passed since the connect.
	syncEndedCap = "cap"
)

// syncMarks are the moments one connection's initial sync is decided from;
// a zero time means "not yet" (or "never").
type syncMarks struct {
	// Connected is when the connection came up; StartsPublished when
	// router.start and service-discovery.start went out, after the greet
	// window.
	Connected, StartsPublished time.Time
	// LastGreet is when a greet (router.greet or service-discovery.greet)
	// was last answered; LastChange when a registration or unregistration
	// last changed the table.
	LastGreet, LastChange time.Time
}

// syncTimings are the durations initialSyncEnd applies, from the Config.
type syncTimings struct {
	Interval, Jitter, Quiet, Cap time.Duration
}

func syncTimingsOf(cfg Config) syncTimings {
	return syncTimings{
		Interval: cfg.MinimumRegisterInterval.Std(), Jitter: cfg.RouteEmitterJitter.Std(),
		Quiet: cfg.QuietPeriod.Std(), Cap: cfg.InitialSyncWait.Std(),
	}
}

// initialSyncEnd reports whether the initial sync is over at now, and why:
// syncEndedQuiet, syncEndedCap, or "" while it goes on (always "" before
// the starts are published). With S the time the starts were published
// after the greet window (the second time since the connect), it is quiet
// once all of these hold:
//
//   - now ≥ S + Jitter + Quiet. Every route-emitter was greeted when that
//     start arrived (by a gorouter, another copilot, our reply during the
//     greet window, or our start on connect), so it sleeps at most Jitter,
//     then re-emits everything.
//   - now ≥ g + Interval + Quiet, g the last greet answered after S. That
//     route-emitter began greeting after our start, gets no start of its
//     own, and first emits one interval after our reply. The latest such
//     greet bounds every earlier one.
//   - The table did not change during [now − Quiet, now]: the re-emits are
//     in.
//
// It is capped at Connected + Cap, so churn cannot hold Ready back for
// ever.
func initialSyncEnd(now time.Time, m syncMarks, t syncTimings) string {
	if m.StartsPublished.IsZero() {
		return ""
	}
	earliest := m.StartsPublished.Add(t.Jitter + t.Quiet)
	if m.LastGreet.After(m.StartsPublished) {
		earliest = later(earliest, m.LastGreet.Add(t.Interval+t.Quiet))
	}
	if !now.Before(earliest) && m.LastChange.Before(now.Add(-t.Quiet)) {
		return syncEndedQuiet
	}
	if !now.Before(m.Connected.Add(t.Cap)) {
		return syncEndedCap
	}
	return ""
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// initialSync is Run's loop's state for one connection: a greet window
// (the starts went out on connect), then the starts again, then (until Ready) a check of initialSyncEnd every
// QuietPeriod/4. The zero value is "not connected": its channels are nil,
// so the loop's select never picks them.
type initialSync struct {
	connected, startsPublished time.Time
	window                     *time.Timer
	check                      *time.Ticker
}

func newInitialSync(connected time.Time, greetWindow time.Duration) initialSync {
	return initialSync{connected: connected, window: time.NewTimer(greetWindow)}
}

// windowEnded fires once when the greet window is over.
func (is *initialSync) windowEnded() <-chan time.Time {
	if is.window == nil {
		return nil
	}
	return is.window.C
}

// checks ticks while the initial sync may end.
func (is *initialSync) checks() <-chan time.Time {
	if is.check == nil {
		return nil
	}
	return is.check.C
}

// published records the starts and, unless already Ready, starts checking.
func (is *initialSync) published(at time.Time, ready bool, every time.Duration) {
	is.window, is.startsPublished = nil, at
	if !ready {
		is.check = time.NewTicker(max(every, time.Millisecond))
	}
}

func (is *initialSync) stop() {
	if is.window != nil {
		is.window.Stop()
	}
	if is.check != nil {
		is.check.Stop()
	}
	*is = initialSync{}
}

// checkInitialSync closes Ready when initialSyncEnd says the sync is over.
func (s *Subscriber) checkInitialSync(is *initialSync) {
	now := time.Now()
	s.mu.Lock()
	marks := syncMarks{Connected: is.connected, StartsPublished: is.startsPublished,
		LastGreet: s.lastGreet, LastChange: s.lastChange}
	endpoints := s.table.Len()
	s.mu.Unlock()
	reason := initialSyncEnd(now, marks, syncTimingsOf(s.cfg))
	if reason == "" {
		return
	}
	is.check.Stop()
	is.check = nil
	waited := now.Sub(is.connected)
	s.readyOnce.Do(func() {
		s.metrics.initialSync.Set(waited.Seconds())
		s.logger.Info("initial-sync-complete", lager.Data{
			"endpoints": endpoints, "waited": waited.Round(time.Millisecond).String(), "reason": reason,
		})
		close(s.ready)
	})
}

func (s *Subscriber) isReady() bool {
	select {
	case <-s.ready:
		return true
	default:
		return false
	}
}

// markGreet records a greet answered at now.
func (s *Subscriber) markGreet(now time.Time) {
	s.mu.Lock()
	s.lastGreet = now
	s.mu.Unlock()
}
