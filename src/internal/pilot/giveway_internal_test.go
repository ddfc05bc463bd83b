package pilot

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// fleetClock stands in for the xDS server's count of unanswered
// endpoints-first responses, on a clock that only sleeping moves.
type fleetClock struct {
	now, sent, answeredAt time.Time
	responses             int
	sleeps, reads         int
}

func (f *fleetClock) unanswered() (int, time.Time) {
	if !f.answeredAt.IsZero() && !f.now.Before(f.answeredAt) {
		return 0, f.sent
	}
	return f.responses, f.sent
}

// giveWayOn is a translation's checkpoint on f, its budget begun.
func giveWayOn(f *fleetClock) *giveWay {
	g := &giveWay{unanswered: f.unanswered, now: func() time.Time { f.reads++; return f.now }, sleep: func(d time.Duration) {
		f.sleeps++
		f.now = f.now.Add(d)
	}}
	g.begin()
	return g
}

var _ = Describe("a full translation giving way to endpoints-first updates (ADR 20, third amendment)", func() {
	sent := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }

	DescribeTable("how long a checkpoint waits after an update",
		func(startAfter time.Duration, responses int, answeredAfter, budget, want time.Duration) {
			f := &fleetClock{now: sent.Add(startAfter), sent: sent, responses: responses}
			if answeredAfter > 0 {
				f.answeredAt = sent.Add(answeredAfter)
			}
			g := giveWayOn(f)
			g.left = budget
			g.checkpoint()
			Expect(g.waited).To(Equal(want))
			Expect(g.left).To(Equal(budget - want))
		},
		Entry("until every response is answered", ms(5), 500, ms(40), translationGiveWay, ms(35)),
		Entry("nothing when they were answered before it looked", ms(50), 500, ms(40), translationGiveWay, ms(0)),
		Entry("out the grace when no response is sent yet", ms(2), 0, ms(0), translationGiveWay, ms(8)),
		Entry("at most until 300 ms after the update when a proxy never answers", ms(100), 1, ms(0), translationGiveWay, ms(200)),
		Entry("at most what is left of the translation's budget", ms(5), 1, ms(0), ms(50), ms(50)),
		Entry("nothing once the budget is spent", ms(5), 1, ms(0), ms(0), ms(0)),
	)

	It("reads not even the clock with nothing unanswered, and waits once for a proxy that never answers", func() {
		f := &fleetClock{now: sent}
		g := giveWayOn(f)
		g.checkpoint()
		Expect(f.sleeps+f.reads).To(BeZero(), "no update yet")

		f.sent, f.responses, f.answeredAt = sent, 3, sent.Add(ms(20))
		g.checkpoint()
		Expect(g.waited).To(Equal(ms(20)))
		reads := f.reads
		g.checkpoint()
		Expect(f.reads).To(Equal(reads), "its responses are answered")

		By("giving way to the next update, which a proxy never answers, once")
		f.sent, f.answeredAt = f.now, time.Time{}
		g.checkpoint()
		Expect(g.waited).To(Equal(ms(20) + endpointsFirstGiveWay))
		sleeps := f.sleeps
		g.checkpoint()
		Expect(f.sleeps).To(Equal(sleeps), "it gave way to this update already")

		By("beginning the next translation's budget afresh")
		g.begin()
		Expect(g.left).To(Equal(translationGiveWay))
		Expect(g.waited).To(BeZero())
	})

	It("is every translation's checkpoint, in both stages and before the caches change, and its waits are counted", func() {
		cfg := hostsConfig(3, 2)
		irCalls, resourceCalls := 0, 0
		ir := envoyir.NewTranslator()
		ir.Checkpoint = func() { irCalls++ }
		resources := xdsresources.NewTranslator(xdsresources.Options{}.WithDefaults())
		resources.Checkpoint = func() { resourceCalls++ }
		translated, _ := ir.Translate(cfg)
		resources.Translate(translated)

		t := newTestTranslator()
		f := &fleetClock{now: sent, sent: sent, responses: 1} // never answered
		calls := 0
		t.giveWay.unanswered = func() (int, time.Time) { calls++; return f.unanswered() }
		t.giveWay.now, t.giveWay.sleep = func() time.Time { return f.now }, func(d time.Duration) { f.sleeps++; f.now = f.now.Add(d) }
		t.translate(cfg, 1)
		Expect(calls-f.sleeps).To(Equal(irCalls+resourceCalls+1), "one look per checkpoint, and one per millisecond waited")
		Expect(counterOf(t.gaveWay)).To(Equal(endpointsFirstGiveWay.Seconds()))
	})
})
