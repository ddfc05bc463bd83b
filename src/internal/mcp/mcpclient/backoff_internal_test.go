package mcpclient

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("backoff", func() {
	It("stays between 100 ms and 5 s", func() {
		for failures := range 40 {
			for range 20 {
				Expect(backoff(failures)).To(And(
					BeNumerically(">=", 100*time.Millisecond),
					BeNumerically("<=", 5*time.Second)), "after %d failures", failures)
			}
		}
	})

	DescribeTable("grows exponentially up to the cap",
		func(failures int, low, high time.Duration) {
			for range 20 {
				Expect(backoff(failures)).To(And(BeNumerically(">=", low), BeNumerically("<=", high)))
			}
		},
		Entry("first retry", 0, 100*time.Millisecond, 200*time.Millisecond),
		Entry("second retry", 1, 200*time.Millisecond, 400*time.Millisecond),
		Entry("fifth retry", 4, 1600*time.Millisecond, 3200*time.Millisecond),
		Entry("capped", 6, 2500*time.Millisecond, 5*time.Second),
		Entry("long outage", 1000, 2500*time.Millisecond, 5*time.Second),
	)
})
