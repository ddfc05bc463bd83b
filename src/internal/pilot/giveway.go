package pilot

import "time"

// Decision (ADR 20, third amendment): a full translation gives way to the
// endpoints-first updates sent while it runs. The xDS server counts the
// responses of those updates that no proxy has answered yet; at each of
// the translation's checkpoints the translator waits while any is
// unanswered. An update to 500 sidecars takes 100-170 ms of the pilot's
// two cores; a translation of the whole foundation beside it doubled
// that. This replaces a fixed lead after each update, which was too short
// for 1,000 proxies and too long for 200.

// endpointsFirstGiveWay bounds how long a translation waits for the
// answers to one endpoints-first update, from when it was sent: a proxy
// that never answers costs each translation this once.
const endpointsFirstGiveWay = 300 * time.Millisecond

// translationGiveWay bounds how long one translation waits in all, so a
// stream of endpoint changes cannot starve it.
const translationGiveWay = 600 * time.Millisecond

// endpointsFirstGrace is how long after an update a translation waits
// even when no response is unanswered yet: the streams send an update's
// responses a few milliseconds after it.
const endpointsFirstGrace = 10 * time.Millisecond

// giveWay is a translation's checkpoint. It is used by the translation
// goroutine only.
type giveWay struct {
	// unanswered is the xDS server's UnansweredEndpointsFirst.
	unanswered func() (int, time.Time)
	now        func() time.Time
	sleep      func(time.Duration)
	// seen is the last update the translation gave way to.
	seen time.Time
	// left is what the running translation may still wait; waited is
	// what it waited.
	left, waited time.Duration
}

func newGiveWay(unanswered func() (int, time.Time)) *giveWay {
	return &giveWay{unanswered: unanswered, now: time.Now, sleep: time.Sleep}
}

// begin starts a translation's budget.
func (g *giveWay) begin() {
	g.left, g.waited = translationGiveWay, 0
}

// checkpoint waits while responses of endpoints-first updates are
// unanswered, or a new update's responses may not be sent yet, within the
// bounds. With nothing unanswered and no new update it costs two atomic
// loads.
func (g *giveWay) checkpoint() {
	n, sent := g.unanswered()
	if (n == 0 && sent.Equal(g.seen)) || g.left <= 0 {
		return
	}
	start := g.now()
	for {
		now := g.now()
		due := start.Add(g.left)
		if bound := sent.Add(endpointsFirstGiveWay); bound.Before(due) {
			due = bound
		}
		if !now.Before(due) || (n == 0 && now.Sub(sent) >= endpointsFirstGrace) {
			break
		}
		g.sleep(time.Millisecond)
		n, sent = g.unanswered()
	}
	g.seen = sent
	waited := g.now().Sub(start)
	g.left -= waited
	g.waited += waited
}
