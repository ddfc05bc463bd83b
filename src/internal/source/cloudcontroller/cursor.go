package cloudcontroller

import (
	"maps"
	"time"

	"github.com/cloudfoundry/go-cfclient/v3/resource"
)

// EventCursor is how far the poller has read Cloud Controller's audit
// events. It is a value: Advance returns the next cursor, which the poller
// keeps only once it has acted on the events, so a failed refresh re-reads
// them.
//
// Cloud Controller stamps events in whole seconds, with the database's
// transaction start time, and an event becomes visible only when its
// transaction commits, possibly after later-stamped events. So the poller
// reads from Since (the newest second seen, minus a lookback) rather than
// strictly after the newest event, and the cursor remembers the GUIDs of the
// events in that window so each is acted on once. Only event timestamps
// move the cursor: no clock is involved.
type EventCursor struct {
	watermark time.Time
	// floor is where reads start at the earliest after SkipTo.
	floor    time.Time
	lookback time.Duration
	// seen maps the GUIDs of events at or after watermark-lookback to their
	// creation time.
	seen map[string]time.Time
}

// NewEventCursor starts a cursor at the newest event Cloud Controller
// reported (zero when it has none) with the given lookback (negative counts
// as zero).
func NewEventCursor(newest time.Time, lookback time.Duration) EventCursor {
	return EventCursor{watermark: newest.UTC().Truncate(time.Second), lookback: max(lookback, 0), seen: map[string]time.Time{}}
}

// Since is the earliest creation time the next read must ask for
// (`created_ats[gte]`); ok is false when no event was ever seen, and the
// read must then not filter by time.
func (c EventCursor) Since() (since time.Time, ok bool) {
	if c.watermark.IsZero() {
		return time.Time{}, false
	}
	since = c.watermark.Add(-c.lookback).Truncate(time.Second)
	if c.floor.After(since) {
		since = c.floor
	}
	return since, true
}

// SkipTo returns a cursor whose reads start no earlier than t's second
// (and whose watermark is at least that): the events before it are left to
// a full sync. The poller skips so past a burst of events too large to read
// at once, which would otherwise fill every read from the lookback on.
func (c EventCursor) SkipTo(t time.Time) EventCursor {
	next := EventCursor{watermark: c.watermark, floor: c.floor, lookback: c.lookback, seen: maps.Clone(c.seen)}
	t = t.UTC().Truncate(time.Second)
	if t.After(next.floor) {
		next.floor = t
	}
	if t.After(next.watermark) {
		next.watermark = t
	}
	next.prune()
	return next
}

func (c *EventCursor) prune() {
	if c.seen == nil {
		c.seen = map[string]time.Time{}
	}
	since, _ := c.Since()
	maps.DeleteFunc(c.seen, func(_ string, created time.Time) bool { return created.Before(since) })
}

// Watermark is the creation time of the newest event seen (zero for none).
func (c EventCursor) Watermark() time.Time {
	return c.watermark
}

// Seen counts the event GUIDs the cursor remembers.
func (c EventCursor) Seen() int {
	return len(c.seen)
}

// Advance returns, in their order, the events not seen before, and the
// cursor that has seen them too. The watermark never moves back. Events
// without a GUID cannot be told apart, so they are always returned and
// never remembered.
func (c EventCursor) Advance(events []*resource.AuditEvent) (fresh []*resource.AuditEvent, next EventCursor) {
	next = EventCursor{watermark: c.watermark, floor: c.floor, lookback: c.lookback, seen: maps.Clone(c.seen)}
	if next.seen == nil {
		next.seen = map[string]time.Time{}
	}
	for _, e := range events {
		if e == nil {
			continue
		}
		if _, dup := next.seen[e.GUID]; dup && e.GUID != "" {
			continue
		}
		fresh = append(fresh, e)
		created := e.CreatedAt.UTC().Truncate(time.Second)
		if e.GUID != "" {
			next.seen[e.GUID] = created
		}
		if created.After(next.watermark) {
			next.watermark = created
		}
	}
	next.prune()
	return fresh, next
}
