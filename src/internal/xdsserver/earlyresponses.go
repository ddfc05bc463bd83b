package xdsserver

import (
	"sync/atomic"
	"time"
)

// Decision (ADR 20, third amendment): an endpoints-first update reaches
// hundreds of proxies only as fast as the pilot's two cores build, send
// and take the answers of their responses. A full translation running
// meanwhile halves that. The server therefore counts the responses of
// endpoints-first updates that no ACK or NACK has answered yet, so that
// the pilot's translation can give way to them (UnansweredEndpointsFirst).

// earlyResponses counts the unanswered responses that carried an
// endpoints-first update. Its writers hold proxies.mu; readers need no
// lock.
type earlyResponses struct {
	unanswered atomic.Int64
	lastUpdate atomic.Int64 // Unix nanoseconds
}

func (e *earlyResponses) pushed(at time.Time) {
	e.lastUpdate.Store(at.UnixNano())
}

func (e *earlyResponses) sent(early bool) {
	if early {
		e.unanswered.Add(1)
	}
}

// answered notes that a response awaits no answer any more, if it did:
// answered, superseded, or its stream closed.
func (e *earlyResponses) answered(awaiting bool) {
	if awaiting {
		e.unanswered.Add(-1)
	}
}

// UnansweredEndpointsFirst is how many responses of endpoints-first
// updates (UpdateEndpoints) no proxy has answered yet, and when the last
// such update was (zero before the first). A response counts from when it
// is sent until the proxy ACKs or NACKs it, the stream closes, or the
// next response of its type supersedes it; the streams send an update's
// responses a few milliseconds after UpdateEndpoints returns. It is cheap
// enough to be called between every few units of a translation.
func (s *Server) UnansweredEndpointsFirst() (int, time.Time) {
	var last time.Time
	if at := s.proxies.early.lastUpdate.Load(); at != 0 {
		last = time.Unix(0, at)
	}
	return int(s.proxies.early.unanswered.Load()), last
}
