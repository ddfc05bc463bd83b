package ccpoller

import (
	"context"
	"errors"
	"slices"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/cloudfoundry/go-cfclient/v3/resource"

	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
)

// maxTargetedRefresh is the most routes, apps and routes' policies one
// targeted refresh re-reads (about 40 requests); a larger change goes to a
// full sync.
const maxTargetedRefresh = 1000

// pollEvents reads new audit events and acts on them; it returns the delay
// before the next poll. The cursor moves only once the events were acted
// on, so a failed refresh re-reads them.
func (l *loop) pollEvents(ctx context.Context) time.Duration {
	interval := time.Duration(l.p.cfg.EventPollInterval)
	if !l.cursorOK {
		return interval // a full sync is about to start the cursor
	}
	if time.Since(l.lastPoll) > l.p.cfg.staleCursorAfter() {
		l.logger.Info("event-cursor-stale", lager.Data{"last_poll": l.lastPoll, "watermark": l.cursor.Watermark()})
		l.cursorOK = false
		l.requestSync(reasonStaleCursor)
		return interval
	}
	since, hasSince := l.cursor.Since()
	events, truncated, err := l.rd.events(ctx, since, hasSince)
	if err != nil {
		return l.eventPollFailed(ctx, err)
	}
	l.p.metrics.eventPolls.WithLabelValues(resultSuccess).Inc()
	l.lastPoll = time.Now()
	if l.eventFailures > 0 {
		l.logger.Info("event-poll-recovered", lager.Data{"failed_polls": l.eventFailures})
		l.eventFailures = 0
	}
	if truncated {
		l.skipBurst(since, events)
		return interval
	}
	fresh, next := l.cursor.Advance(events)
	if len(fresh) == 0 {
		l.cursor = next
		return interval
	}
	if !l.actOn(ctx, fresh) {
		l.eventFailures++
		return backoff(interval, l.eventFailures)
	}
	l.cursor = next
	for _, e := range fresh {
		l.p.metrics.events.WithLabelValues(e.Type).Inc()
	}
	return interval
}

// skipBurst handles a read that held more events than it may: it moves the
// cursor past them without acting on them, and leaves them to a full sync,
// which (starting after this read) covers them.
func (l *loop) skipBurst(since time.Time, events []*resource.AuditEvent) {
	_, next := l.cursor.Advance(events)
	skipTo := since.Add(time.Second) // progress even if one second held them all
	if n := len(events); n > 0 && events[n-1] != nil && events[n-1].CreatedAt.After(skipTo) {
		skipTo = events[n-1].CreatedAt
	}
	l.cursor = next.SkipTo(skipTo)
	l.logger.Info("events-truncated", lager.Data{"since": since, "read": len(events), "skipped_to": skipTo})
	l.requestSync(reasonTruncated)
}

func (l *loop) eventPollFailed(ctx context.Context, err error) time.Duration {
	if ctx.Err() != nil {
		return time.Duration(l.p.cfg.EventPollInterval)
	}
	l.eventFailures++
	l.p.metrics.eventPolls.WithLabelValues(resultFailure).Inc()
	delay := backoff(time.Duration(l.p.cfg.EventPollInterval), l.eventFailures)
	l.logger.Error("event-poll-failed", err, l.p.failureData(l.eventFailures, delay))
	l.requestSync(reasonEventPollError)
	return delay
}

// actOn plans and runs the targeted refresh fresh events call for; it
// reports whether they were dealt with. While a full sync runs, what they
// touch is also remembered for when it finishes; before the first full
// sync, that is all that happens.
func (l *loop) actOn(ctx context.Context, fresh []*resource.AuditEvent) bool {
	plan, errs := cloudcontroller.PlanRefresh(fresh, l.view)
	if size := plan.Reads(); size > maxTargetedRefresh {
		l.logger.Info("change-too-large-for-targeted-refresh", lager.Data{"events": len(fresh), "routes_and_apps": size})
		l.requestSync(reasonLargeChange)
		return true
	}
	for _, err := range errs {
		l.p.metrics.rejectedEvents.Inc()
		data := lager.Data{}
		var eventErr *cloudcontroller.EventError
		if errors.As(err, &eventErr) {
			data = lager.Data{"event_guid": eventErr.EventGUID, "type": eventErr.Type, "reason": eventErr.Reason}
		}
		l.logger.Error("event-rejected", err, data)
	}
	if len(errs) > 0 {
		l.requestSync(reasonUnusableEvent)
	}
	if l.sync != nil {
		l.touched = l.touched.Union(plan)
	}
	if l.view == nil || plan.Empty() {
		return true
	}
	delta, err := l.rd.refresh(ctx, plan, l.view)
	if err != nil {
		if ctx.Err() == nil {
			l.p.metrics.refreshes.WithLabelValues(resultFailure).Inc()
			l.logger.Error("targeted-refresh-failed", err, lager.Data{
				"routes": len(plan.RouteGUIDs), "apps": len(plan.AppGUIDs), "route_policies_of": len(plan.PolicyRouteGUIDs),
				"consecutive_failures": l.eventFailures + 1,
			})
			l.revoke(plan.DeletedRoutePolicyGUIDs)
		}
		return false
	}
	l.view.Apply(delta)
	l.p.metrics.refreshes.WithLabelValues(resultSuccess).Inc()
	l.logger.Debug("targeted-refresh", lager.Data{"events": len(fresh), "routes": len(delta.RouteGUIDs), "apps": len(delta.AppGUIDs),
		"route_policies_of": len(delta.PolicyRouteGUIDs), "deleted_route_policies": len(delta.DeletedRoutePolicyGUIDs)})
	l.translateAndPublish("events")
	return true
}

// revoke removes deleted route policies from the view and publishes, even
// though the refresh they came with failed: a deletion needs no read, and a
// revoked caller must not keep its access while Cloud Controller's reads
// fail. The events are acted on again at the next poll, which removes
// nothing more.
func (l *loop) revoke(deleted []string) {
	gone := slices.DeleteFunc(slices.Clone(deleted), func(guid string) bool { return !l.view.HasRoutePolicy(guid) })
	if len(gone) == 0 {
		return
	}
	l.view.Apply(cloudcontroller.Delta{DeletedRoutePolicyGUIDs: gone})
	l.logger.Info("route-policies-revoked-before-refresh", lager.Data{"route_policies": len(gone)})
	l.translateAndPublish("events")
}
