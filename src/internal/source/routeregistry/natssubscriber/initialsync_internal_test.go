package natssubscriber

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The decision alone, on made-up times: connected at 0, the starts
// published at 1.5 s (the greet window), interval 20 s, jitter 4 s, quiet
// 2 s, cap 30 s. The earliest quiet end is 1.5 + 4 + 2 = 7.5 s.
var _ = Describe("initialSyncEnd", func() {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	at := func(seconds float64) time.Time { return t0.Add(time.Duration(seconds * float64(time.Second))) }
	timings := syncTimings{Interval: 20 * time.Second, Jitter: 4 * time.Second, Quiet: 2 * time.Second, Cap: 30 * time.Second}
	// marks are the times, in seconds after t0, of the starts, the last
	// greet answered and the last table change; -1 is "never".
	marks := func(starts, greet, change float64) syncMarks {
		m := syncMarks{Connected: t0}
		for _, mark := range []struct {
			seconds float64
			into    *time.Time
		}{{starts, &m.StartsPublished}, {greet, &m.LastGreet}, {change, &m.LastChange}} {
			if mark.seconds >= 0 {
				*mark.into = at(mark.seconds)
			}
		}
		return m
	}

	DescribeTable("says when the first sync is over, and why",
		func(now float64, m syncMarks, want string) {
			Expect(initialSyncEnd(at(now), m, timings)).To(Equal(want))
		},
		Entry("never before the starts are published, even past the cap", 31.0, marks(-1, -1, -1), ""),
		Entry("not within the jitter and quiet period after the starts, with a quiet table", 7.4, marks(1.5, -1, -1), ""),
		Entry("quiet at starts + jitter + quiet when nothing changed", 7.5, marks(1.5, -1, -1), syncEndedQuiet),
		Entry("quiet once the re-emits stopped a quiet period ago", 8.1, marks(1.5, -1, 6.0), syncEndedQuiet),
		Entry("not while a change is inside the quiet period", 8.0, marks(1.5, -1, 6.5), ""),
		Entry("not when the change is exactly a quiet period ago (the window is closed)", 8.5, marks(1.5, -1, 6.5), ""),
		Entry("quiet just after that", 8.6, marks(1.5, -1, 6.5), syncEndedQuiet),
		Entry("a greet answered in the greet window does not delay it", 7.5, marks(1.5, 1.0, -1), syncEndedQuiet),
		Entry("a greet answered after the starts waits for that route-emitter's first emit", 7.5, marks(1.5, 3.0, -1), ""),
		Entry("... until greet + interval + quiet", 24.9, marks(1.5, 3.0, -1), ""),
		Entry("... and ends then if the table is quiet", 25.0, marks(1.5, 3.0, -1), syncEndedQuiet),
		Entry("... but not while its emit is still changing the table", 25.0, marks(1.5, 3.0, 23.5), ""),
		Entry("the cap ends it when the table keeps changing", 30.0, marks(1.5, -1, 29.9), syncEndedCap),
		Entry("not just before the cap", 29.9, marks(1.5, -1, 29.9), ""),
		Entry("the cap ends it before a late greet's emit is due", 30.0, marks(1.5, 20.0, -1), syncEndedCap),
		Entry("quiet wins when both hold", 31.0, marks(1.5, -1, 10.0), syncEndedQuiet),
	)

	It("measures the cap from the connect, not from the starts", func() {
		m := marks(1.5, -1, 29.0)
		Expect(initialSyncEnd(at(30.0), m, timings)).To(Equal(syncEndedCap))
		m.Connected = at(1.0)
		Expect(initialSyncEnd(at(30.0), m, timings)).To(BeEmpty())
		Expect(initialSyncEnd(at(31.0), m, timings)).To(Equal(syncEndedCap))
	})
})
