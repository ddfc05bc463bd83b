package lifecycle_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
)

var _ = Describe("Sleep", func() {
	It("returns when its context ends, without waiting out the duration", func() {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			lifecycle.Sleep(ctx, time.Hour)
		}()
		Consistently(done, 50*time.Millisecond).ShouldNot(BeClosed())
		cancel()
		Eventually(done).Should(BeClosed())
	})

	It("returns after the duration", func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			lifecycle.Sleep(context.Background(), 10*time.Millisecond)
		}()
		Eventually(done, 2*time.Second).Should(BeClosed())
	})
})
