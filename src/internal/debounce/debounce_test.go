package debounce_test

import (
	"context"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/debounce"
)

var _ = Describe("Debouncer", func() {
	var (
		calls  atomic.Int32
		cancel context.CancelFunc
	)

	start := func(d *debounce.Debouncer) {
		var ctx context.Context
		ctx, cancel = context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { d.Run(ctx, func() { calls.Add(1) }); close(done) }()
		DeferCleanup(func() { cancel(); Eventually(done, 5*time.Second).Should(BeClosed()) })
	}

	BeforeEach(func() { calls.Store(0) })

	It("does nothing without notifications", func() {
		start(debounce.New(10*time.Millisecond, 50*time.Millisecond))
		Consistently(calls.Load, 200*time.Millisecond).Should(BeZero())
	})

	It("coalesces a burst into one call", func() {
		d := debounce.New(100*time.Millisecond, 10*time.Second)
		start(d)
		for range 50 {
			d.Notify()
		}
		Eventually(calls.Load, 5*time.Second).Should(BeEquivalentTo(1))
		Consistently(calls.Load, 300*time.Millisecond).Should(BeEquivalentTo(1))
	})

	It("is not starved by a steady stream of notifications", func() {
		d := debounce.New(200*time.Millisecond, 300*time.Millisecond)
		start(d)
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
					d.Notify()
				}
			}
		}()
		Eventually(calls.Load, 5*time.Second).Should(BeNumerically(">=", 2))
	})

	It("runs at once, with NewLeading, for a notification after a quiet spell, and debounces what follows", func() {
		d := debounce.NewLeading(2*time.Second, 10*time.Second)
		start(d)
		d.Notify()
		Eventually(calls.Load, time.Second).Should(BeEquivalentTo(1), "not after the 2 s quiet")
		for range 10 {
			d.Notify()
		}
		Consistently(calls.Load, time.Second).Should(BeEquivalentTo(1), "the burst right after the run settles")
		Eventually(calls.Load, 5*time.Second).Should(BeEquivalentTo(2), "then runs once for it")
		Consistently(calls.Load, 500*time.Millisecond).Should(BeEquivalentTo(2))
	})

	It("waits for the quiet, without leading edge, even for a single notification", func() {
		d := debounce.New(time.Second, 10*time.Second)
		start(d)
		d.Notify()
		Consistently(calls.Load, 500*time.Millisecond).Should(BeZero())
		Eventually(calls.Load, 5*time.Second).Should(BeEquivalentTo(1))
	})

	It("forgets what was notified before Clear, but not after", func() {
		d := debounce.New(10*time.Millisecond, 50*time.Millisecond)
		d.Notify()
		d.Clear()
		start(d)
		Consistently(calls.Load, 200*time.Millisecond).Should(BeZero())
		d.Notify()
		Eventually(calls.Load, 5*time.Second).Should(BeEquivalentTo(1))
	})

	It("returns when its context ends", func() {
		d := debounce.New(time.Hour, time.Hour)
		start(d)
		d.Notify()
		cancel()
	})

	Describe("Flush", func() {
		// A quiet of 10 s that no spec waits for: a run within a
		// second or two is the Flush's doing.
		const quiet = 10 * time.Second

		DescribeTable("runs for what was notified before it, before Run looks",
			func(steps string, runs int) {
				d := debounce.New(quiet, 10*quiet)
				for _, step := range steps {
					switch step {
					case 'N':
						d.Notify()
					case 'F':
						d.Flush()
					}
				}
				start(d)
				if runs > 0 {
					Eventually(calls.Load, 2*time.Second).Should(BeEquivalentTo(runs))
				}
				Consistently(calls.Load, 500*time.Millisecond).Should(BeEquivalentTo(runs))
			},
			Entry("nothing notified: nothing to run", "F", 0),
			Entry("notified, then flushed: runs at once", "NF", 1),
			Entry("a burst, then flushed: runs once", "NNNF", 1),
			Entry("flushed twice: runs once", "NFF", 1),
			Entry("notified after the Flush: waits for the quiet again", "NFN", 0),
			Entry("notified after the Flush and flushed again: runs at once", "NFNF", 1),
		)

		It("ends a settle in progress", func() {
			d := debounce.New(quiet, 10*quiet)
			start(d)
			d.Notify()
			Consistently(calls.Load, 500*time.Millisecond).Should(BeZero(), "settling")
			d.Flush()
			Eventually(calls.Load, 2*time.Second).Should(BeEquivalentTo(1))
		})

		It("does nothing when nothing changed since the last run", func() {
			d := debounce.New(quiet, 10*quiet)
			start(d)
			d.Notify()
			d.Flush()
			Eventually(calls.Load, 2*time.Second).Should(BeEquivalentTo(1))
			d.Flush()
			Consistently(calls.Load, 500*time.Millisecond).Should(BeEquivalentTo(1))
		})

		It("leaves a later notification to the quiet, or to its own Flush", func() {
			d := debounce.New(quiet, 10*quiet)
			start(d)
			d.Notify()
			d.Flush()
			Eventually(calls.Load, 2*time.Second).Should(BeEquivalentTo(1))
			d.Notify()
			Consistently(calls.Load, 500*time.Millisecond).Should(BeEquivalentTo(1), "a change without Flush settles")
			d.Flush()
			Eventually(calls.Load, 2*time.Second).Should(BeEquivalentTo(2))
		})

		It("still runs on the quiet when no Flush comes", func() {
			d := debounce.New(200*time.Millisecond, 2*time.Second)
			start(d)
			d.Notify()
			Eventually(calls.Load, 5*time.Second).Should(BeEquivalentTo(1))
		})
	})
})
