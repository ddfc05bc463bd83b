package cf_test

import (
	"context"
	"net/http"
	"os/exec"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
)

var _ = Describe("Upgrade with bosh deploy", func() {
	It("fails no request through the gateway while the operator deploys a new cf-mesh", func(ctx SpecContext) {
		if reason := cfg.BoshSkipReason(exec.LookPath); reason != "" {
			Skip(reason)
		}
		host := name("upgrade")
		routeURL := host + "." + cfg.AppsDomain
		g := newGateway()
		cf(ctx, "map-route", hello, cfg.AppsDomain, "--hostname", host)
		cf(ctx, "map-route", hola, cfg.AppsDomain, "--hostname", host)
		eventuallyAnswers(ctx, g, routeURL, "/", http.StatusOK, "")

		traffic := startTraffic(g, routeURL)
		started := time.Now()
		args := append([]string{"-n", "-d", cfg.Bosh.Deployment, "deploy"}, cfg.Bosh.DeployArgs...)
		command(ctx, cfg.Bosh.DeployTimeout.Std(), "bosh", args...)
		calls, failures, last := traffic.stop()
		report.Measure("deploy", "%s", seconds(time.Since(started)))
		report.Measure("requests during the deploy", "%d", calls)
		report.Measure("failed requests", "%d", failures)
		Expect(failures).To(BeZero(), "last failure: %s", last)
		Expect(calls).To(BeNumerically(">", 0))
	})
})

// traffic keeps requesting a route through the gateway and counts requests
// that did not answer 200.
type traffic struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu              sync.Mutex
	calls, failures int
	last            string
}

func startTraffic(g gateway, host string) *traffic {
	ctx, cancel := context.WithCancel(context.Background())
	t := &traffic{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		for ctx.Err() == nil {
			a, err := g.get(ctx, host, "/")
			if ctx.Err() != nil {
				return
			}
			t.record(a, err)
			time.Sleep(50 * time.Millisecond)
		}
	}()
	DeferCleanup(func() { t.stop() })
	return t
}

func (t *traffic) record(a answer, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls++
	switch {
	case err != nil:
		t.failures++
		t.last = err.Error()
	case a.status != http.StatusOK:
		t.failures++
		t.last = http.StatusText(a.status) + ": " + a.body
	}
}

func (t *traffic) stop() (calls, failures int, last string) {
	t.cancel()
	<-t.done
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.calls, t.failures, t.last
}
