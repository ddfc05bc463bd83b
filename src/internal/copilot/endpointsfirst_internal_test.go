package copilot

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("endpointsFirst: pacing full builds against the endpoints-first goroutine", func() {
	var (
		ctx    context.Context
		cancel context.CancelFunc
		e      *endpointsFirst
	)
	BeforeEach(func() {
		ctx, cancel = context.WithCancel(context.Background())
		DeferCleanup(cancel)
		e = newEndpointsFirst()
		e.wait, e.lead = 10*time.Second, 10*time.Second // long enough to see whether await waits at all
	})
	// awaited runs await and closes the channel it returns when it returns.
	awaited := func() chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.await(ctx)
		}()
		return done
	}
	// runPublishing runs the goroutine with a publish that reports
	// published, and the times it was called at.
	runPublishing := func(published bool) chan time.Time {
		calls := make(chan time.Time, 10)
		go e.run(ctx, func() bool {
			calls <- time.Now()
			return published
		})
		return calls
	}

	It("lets a full build start at once when no change is pending and nothing was published lately", func() {
		Eventually(awaited(), 2*time.Second).Should(BeClosed())
	})

	It("makes a full build wait until the goroutine has taken the changes notified before it, then for the lead", func() {
		e.lead = 50 * time.Millisecond
		e.notify()
		done := awaited()
		Consistently(done, 200*time.Millisecond).ShouldNot(BeClosed(), "nothing took the change yet")
		calls := runPublishing(true)
		var publishedAt time.Time
		Eventually(calls, 2*time.Second).Should(Receive(&publishedAt))
		Eventually(done, 2*time.Second).Should(BeClosed())
		Expect(time.Since(publishedAt)).To(BeNumerically(">=", e.lead), "the publish had its lead")
	})

	It("waits for no lead when the goroutine published nothing", func() {
		calls := runPublishing(false)
		e.notify()
		Eventually(calls, 2*time.Second).Should(Receive())
		e.notify()
		Eventually(awaited(), 2*time.Second).Should(BeClosed())
	})

	It("waits at most its bound for a goroutine that does not come", func() {
		e.wait = 50 * time.Millisecond
		e.notify()
		Eventually(awaited(), 2*time.Second).Should(BeClosed())
	})

	It("wakes the goroutine once for a burst it has not taken yet", func() {
		for range 5 {
			e.notify()
		}
		calls := runPublishing(false)
		Eventually(calls, 2*time.Second).Should(Receive())
		Consistently(calls, 200*time.Millisecond).ShouldNot(Receive())
	})
})
