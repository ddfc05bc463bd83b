package ccpoller_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller/ccpoller"
)

var _ = Describe("Falling back from audit events to full syncs", func() {
	var (
		h         *harness
		f         foundation
		cfg       ccpoller.Config
		baseline  int
		refreshes float64
	)

	BeforeEach(func() {
		h = newHarness()
		f = h.seed()
		cfg = h.config()
	})

	JustBeforeEach(func() {
		h.server.Start()
		h.run(cfg)
		Eventually(h.rec.count, 10*time.Second).Should(Equal(1))
		baseline = h.listings()
		refreshes = h.metric("cfmesh_copilot_cc_targeted_refreshes_total", "result", "success")
	})

	It("falls back to full syncs while the event list fails, and back to events when it recovers", func() {
		h.cc.InjectFault(failWith(http.StatusInternalServerError, "/v3/audit_events", ""))
		h.cc.AddRoute("new", f.appsDomain, "")

		Eventually(h.rec.uris, 10*time.Second).Should(ContainElement("new.apps.example.com"))
		Expect(h.metric("cfmesh_copilot_cc_full_sync_triggers_total", "reason", "event_poll_failed")).To(BeNumerically(">=", 1))
		Expect(h.metric("cfmesh_copilot_cc_event_polls_total", "result", "failure")).To(BeNumerically(">=", 1))
		Expect(h.listings()).To(BeNumerically(">", baseline))
		Expect(h.logCount("event-poll-failed")).To(BeNumerically(">=", 1))

		h.cc.ClearFaults()

		Eventually(func() int { return h.logCount("event-poll-recovered") }, 10*time.Second).Should(Equal(1))
		Eventually(func() float64 { return h.eventsActedOn("audit.route.create") }, 10*time.Second).Should(Equal(1.0),
			"the cursor did not move while polls failed: the outage's event is read once they work")
		refreshed := h.metric("cfmesh_copilot_cc_targeted_refreshes_total", "result", "success")
		h.cc.AddRoute("later", f.appsDomain, "")
		Eventually(h.rec.uris, 10*time.Second).Should(ContainElement("later.apps.example.com"))
		Eventually(func() float64 { return h.eventsActedOn("audit.route.create") }, 10*time.Second).Should(Equal(2.0))
		Eventually(func() float64 {
			return h.metric("cfmesh_copilot_cc_targeted_refreshes_total", "result", "success")
		}, 10*time.Second).Should(BeNumerically(">", refreshed), "events work again")
	})

	It("falls back to a full sync when more events arrived than four pages hold", func() {
		var served atomic.Int32
		h.cc.InjectFault(func(r *http.Request) (int, string, time.Duration, bool) {
			poll := r.URL.Path == "/v3/audit_events" && r.URL.Query().Has("created_ats[gte]")
			if !poll || served.Add(1) > 4 {
				return 0, "", 0, false
			}
			return http.StatusOK, fmt.Sprintf(`{"pagination":{"total_results":5001,"total_pages":2,"first":{"href":"%[1]s"},"last":{"href":"%[1]s"},"next":{"href":"%[1]s?page=2&per_page=5000"},"previous":null},"resources":[]}`,
				"http://"+r.Host+"/v3/audit_events"), 0, true
		})

		Eventually(func() float64 {
			return h.metric("cfmesh_copilot_cc_full_sync_triggers_total", "reason", "events_truncated")
		}, 10*time.Second).Should(BeNumerically("==", 1))
		Expect(served.Load()).To(BeNumerically(">=", 4), "it paged through four pages first")
		Expect(h.logCount("events-truncated")).To(Equal(1))
		Eventually(h.successes, 10*time.Second).Should(BeNumerically("==", 2))
		Expect(h.logCount("event-cursor-started")).To(Equal(1), "the cursor moved on instead of starting over")

		h.cc.AddRoute("after", f.appsDomain, "")
		Eventually(h.rec.uris, 10*time.Second).Should(ContainElement("after.apps.example.com"))
	})

	It("leaves a change too large for a targeted read to a full sync", func() {
		entered, release := make(chan struct{}), make(chan struct{})
		h.cc.InjectFault(blockOn("/v3/audit_events", entered, release))
		Eventually(entered, 10*time.Second).Should(BeClosed())
		for i := range 1001 {
			h.cc.AddRoute(fmt.Sprintf("bulk-%d", i), f.appsDomain, "")
		}
		close(release)

		Eventually(func() int { return len(h.rec.uris()) }, 10*time.Second).Should(Equal(len(seededURIs) + 1001))
		Expect(h.metric("cfmesh_copilot_cc_full_sync_triggers_total", "reason", "large_change")).To(BeNumerically("==", 1))
		Expect(h.metric("cfmesh_copilot_cc_targeted_refreshes_total", "result", "success")).To(Equal(refreshes))
		Expect(h.logCount("change-too-large-for-targeted-refresh")).To(Equal(1))
	})

	It("rejects an event it cannot use, counts it and falls back to a full sync", func() {
		var served atomic.Bool
		h.cc.InjectFault(func(r *http.Request) (int, string, time.Duration, bool) {
			poll := r.URL.Path == "/v3/audit_events" && r.URL.Query().Has("created_ats[gte]")
			if !poll || !served.CompareAndSwap(false, true) {
				return 0, "", 0, false
			}
			return http.StatusOK, `{"pagination":{"total_results":1,"total_pages":1,"first":{"href":"x"},"last":{"href":"x"},"next":null,"previous":null},
				"resources":[{"guid":"broken-event","created_at":"2000-01-01T00:00:00Z","updated_at":"2000-01-01T00:00:00Z","type":"audit.app.map-route",
				"actor":{"guid":"u","type":"user","name":"admin"},"target":{"guid":"some-app","type":"app","name":"x"},"data":{"app_port":8080},
				"space":null,"organization":null,"links":{}}]}`, 0, true
		})

		Eventually(func() float64 {
			return h.metric("cfmesh_copilot_cc_full_sync_triggers_total", "reason", "unusable_event")
		}, 10*time.Second).Should(BeNumerically("==", 1))
		Expect(h.metric("cfmesh_copilot_cc_rejected_events_total")).To(BeNumerically("==", 1))
		Expect(h.logCount("event-rejected")).To(Equal(1))
		Eventually(h.successes, 10*time.Second).Should(BeNumerically("==", 2))
	})

	Context("with a short full sync interval", func() {
		BeforeEach(func() {
			cfg.FullSyncInterval = jsonduration.Duration(100 * time.Millisecond)
		})

		It("drops an event cursor that could not advance for a full sync interval, and starts a new one", func() {
			h.cc.InjectFault(failWith(http.StatusBadGateway, "/v3/audit_events", ""))

			Eventually(func() int { return h.logCount("event-cursor-stale") }, 10*time.Second).Should(BeNumerically(">=", 1))
			h.cc.ClearFaults()

			Eventually(func() int { return h.logCount("event-cursor-started") }, 10*time.Second).Should(BeNumerically(">=", 2))
			Expect(h.metric("cfmesh_copilot_cc_full_sync_triggers_total", "reason", "stale_cursor")).To(BeNumerically(">=", 1))
		})
	})
})
