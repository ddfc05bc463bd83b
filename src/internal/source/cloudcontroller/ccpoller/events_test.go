package ccpoller_test

import (
	"net/http"
	"slices"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	ccstandin "code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller/ccpoller"
)

// change makes one change in Cloud Controller and returns what the
// published routes must then show.
type change func(h *harness, f foundation) func(g Gomega)

func appGUIDs(dests []source.DesiredDestination) []string {
	var out []string
	for _, d := range dests {
		out = append(out, d.AppGUID)
	}
	return out
}

var _ = Describe("Change detection through audit events", func() {
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

	DescribeTable("brings each kind of change to the published routes by a targeted read, without a full listing",
		func(make change) {
			published := make(h, f)

			Eventually(published, 10*time.Second).Should(Succeed())
			Expect(h.listings()).To(Equal(baseline), "no full listing")
			Expect(h.metric("cfmesh_copilot_cc_targeted_refreshes_total", "result", "success")).To(BeNumerically(">", refreshes))
			Expect(h.successes()).To(BeNumerically("==", 1), "still only the first full sync")
		},
		Entry("a route created", change(func(h *harness, f foundation) func(Gomega) {
			h.cc.AddRoute("new", f.appsDomain, "/v2")
			return func(g Gomega) { g.Expect(h.rec.uris()).To(ContainElement("new.apps.example.com/v2")) }
		})),
		Entry("a route deleted", change(func(h *harness, f foundation) func(Gomega) {
			h.cc.DeleteRoute(f.routes[4])
			return func(g Gomega) { g.Expect(h.rec.uris()).NotTo(ContainElement("admin.apps.example.com")) }
		})),
		Entry("a destination mapped (cf map-route)", change(func(h *harness, f foundation) func(Gomega) {
			Expect(h.cc.InsertDestinations(f.routes[4], []ccstandin.Destination{{AppGUID: f.appB}})).To(Succeed())
			return func(g Gomega) {
				dests := h.rec.route("admin.apps.example.com").Destinations
				g.Expect(appGUIDs(dests)).To(Equal([]string{f.appB}))
				g.Expect(dests[0].ProcessGUID).NotTo(BeEmpty())
			}
		})),
		Entry("a destination unmapped (cf unmap-route)", change(func(h *harness, f foundation) func(Gomega) {
			dest := h.rec.route("store.apps.example.com").Destinations[0].GUID
			Expect(h.cc.DeleteDestination(f.routes[0], dest)).To(Succeed())
			return func(g Gomega) { g.Expect(h.rec.route("store.apps.example.com").Destinations).To(BeEmpty()) }
		})),
		Entry("weights PATCHed (destinations replaced)", change(func(h *harness, f foundation) func(Gomega) {
			Expect(h.cc.ReplaceDestinations(f.routes[1], []ccstandin.Destination{
				{AppGUID: f.appA, Weight: ptr(80)}, {AppGUID: f.appB, Weight: ptr(20)},
			})).To(Succeed())
			return func(g Gomega) {
				dests := h.rec.route("store.apps.example.com/checkout").Destinations
				g.Expect(dests).To(HaveLen(2))
				g.Expect(dests[0].Weight).To(HaveValue(Equal(int32(80))))
				g.Expect(dests[1].Weight).To(HaveValue(Equal(int32(20))))
			}
		})),
		Entry("route options updated", change(func(h *harness, f foundation) func(Gomega) {
			Expect(h.cc.SetRouteOptions(f.routes[0], "least-connection")).To(Succeed())
			return func(g Gomega) {
				g.Expect(h.rec.route("store.apps.example.com").LoadBalancing).To(Equal("least-connection"))
			}
		})),
		Entry("route annotations updated", change(func(h *harness, f foundation) func(Gomega) {
			Expect(h.cc.SetRouteAnnotations(f.routes[0], map[string]string{"owner": "payments"})).To(Succeed())
			return func(g Gomega) {
				g.Expect(h.rec.route("store.apps.example.com").Annotations).To(Equal(map[string]string{"owner": "payments"}))
			}
		})),
		Entry("an app stopped", change(func(h *harness, f foundation) func(Gomega) {
			Expect(h.cc.SetAppState(f.appA, ccstandin.AppStopped)).To(Succeed())
			return func(g Gomega) { g.Expect(h.rec.route("store.apps.example.com").Destinations).To(BeEmpty()) }
		})),
		Entry("a route in a new space of a new organization, mapped to a new app", change(func(h *harness, f foundation) func(Gomega) {
			org := h.cc.AddOrganization("new-org")
			space := h.cc.AddSpace("new-space", org)
			app := h.cc.AddApp("new-app", ccstandin.InSpace(space))
			process := h.cc.AddProcess(app, "web")
			route := h.cc.AddRoute("fresh", f.appsDomain, "", ccstandin.InSpace(space))
			Expect(h.cc.ReplaceDestinations(route, []ccstandin.Destination{{AppGUID: app}})).To(Succeed())
			return func(g Gomega) {
				r := h.rec.route("fresh.apps.example.com")
				g.Expect(r.SpaceGUID).To(Equal(space))
				g.Expect(r.OrganizationGUID).To(Equal(org))
				g.Expect(r.Destinations).To(HaveLen(1))
				g.Expect(r.Destinations[0].ProcessGUID).To(Equal(process))
			}
		})),
		Entry("a new app mapped while stopped", change(func(h *harness, f foundation) func(Gomega) {
			app := h.cc.AddApp("idle", ccstandin.WithState(ccstandin.AppStopped))
			route := h.cc.AddRoute("idle", f.appsDomain, "")
			Expect(h.cc.ReplaceDestinations(route, []ccstandin.Destination{{AppGUID: app}})).To(Succeed())
			return func(g Gomega) {
				g.Expect(h.rec.uris()).To(ContainElement("idle.apps.example.com"))
				g.Expect(h.rec.route("idle.apps.example.com").Destinations).To(BeEmpty())
			}
		})),
	)

	It("does not re-read what the first full sync listed", func() {
		h.waitForMorePolls(5)

		Expect(h.metric("cfmesh_copilot_cc_targeted_refreshes_total", "result", "success")).To(BeNumerically("==", 0))
		Expect(h.eventsActedOn(cloudcontroller.EventTypes()...)).To(BeNumerically("==", 0))
		Expect(h.rec.count()).To(Equal(1))
		Expect(h.logger.Logs()).To(ContainElement(HaveField("Data", HaveKeyWithValue("seen", BeNumerically(">", 0)))),
			"the cursor started having seen the seed's events")
	})

	It("drops a stopped app's share of a weighted route, and restores it when the app starts", func() {
		Expect(h.cc.ReplaceDestinations(f.routes[1], []ccstandin.Destination{
			{AppGUID: f.appA, Weight: ptr(80)}, {AppGUID: f.appB, Weight: ptr(20)},
		})).To(Succeed())
		checkout := func() []source.DesiredDestination { return h.rec.route("store.apps.example.com/checkout").Destinations }
		Eventually(checkout, 10*time.Second).Should(HaveLen(2))

		Expect(h.cc.SetAppState(f.appB, ccstandin.AppStopped)).To(Succeed())

		Eventually(func() []string { return appGUIDs(checkout()) }, 10*time.Second).Should(Equal([]string{f.appA}))
		Expect(checkout()[0].Weight).To(HaveValue(Equal(int32(80))))
		Expect(h.metric("cfmesh_copilot_cc_rejected_routes")).To(BeNumerically("==", 0))

		Expect(h.cc.SetAppState(f.appB, ccstandin.AppStarted)).To(Succeed())

		Eventually(func() []string { return appGUIDs(checkout()) }, 10*time.Second).Should(Equal([]string{f.appA, f.appB}))
		Expect(h.listings()).To(Equal(baseline))
		Expect(h.eventsActedOn("audit.app.stop")).To(BeNumerically("==", 1))
		Expect(h.eventsActedOn("audit.app.start")).To(BeNumerically("==", 1))
	})

	It("keeps the last good state when a targeted read fails midway, and retries", func() {
		app := h.cc.AddApp("late")
		routesBefore := h.cc.Requests("/v3/routes")
		h.cc.InjectFault(failWith(http.StatusServiceUnavailable, "/v3/apps", ""))
		Expect(h.cc.InsertDestinations(f.routes[4], []ccstandin.Destination{{AppGUID: app}})).To(Succeed())

		Eventually(func() float64 {
			return h.metric("cfmesh_copilot_cc_targeted_refreshes_total", "result", "failure")
		}, 10*time.Second).Should(BeNumerically(">=", 2))

		Expect(h.cc.Requests("/v3/routes")).To(BeNumerically(">", routesBefore), "the route was read before the apps failed")
		Expect(h.rec.count()).To(Equal(1), "half a refresh is never published")
		Expect(h.rec.route("admin.apps.example.com").Destinations).To(BeEmpty())
		Expect(h.logCount("targeted-refresh-failed")).To(BeNumerically(">=", 2))

		h.cc.ClearFaults()

		Eventually(func() []string { return appGUIDs(h.rec.route("admin.apps.example.com").Destinations) }, 10*time.Second).
			Should(Equal([]string{app}))
		Expect(h.listings()).To(Equal(baseline))
	})

	It("acts on each event once, across polls that repeat the same second", func() {
		for range 3 {
			Expect(h.cc.SetRouteOptions(f.routes[0], "hash")).To(Succeed())
			Expect(h.cc.SetRouteOptions(f.routes[0], "round-robin")).To(Succeed())
		}
		Eventually(func() float64 { return h.eventsActedOn("audit.route.update") }, 10*time.Second).Should(BeNumerically("==", 6))
		h.waitForMorePolls(5)

		expectEachEventActedOnOnce(h)
	})

	Context("when every event falls into one second", func() {
		var clock *fakeClock

		BeforeEach(func() {
			clock = &fakeClock{now: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
			h = newHarnessWith(ccstandin.Options{Now: clock.Now})
			f = h.seed()
			cfg = h.config()
		})

		It("dedupes by GUID at the watermark and moves on at the next second", func() {
			Expect(h.cc.ReplaceDestinations(f.routes[1], []ccstandin.Destination{
				{AppGUID: f.appA, Weight: ptr(60)}, {AppGUID: f.appB, Weight: ptr(40)},
			})).To(Succeed())
			Eventually(func() []source.DesiredDestination { return h.rec.route("store.apps.example.com/checkout").Destinations },
				10*time.Second).Should(HaveLen(2))
			Expect(h.cc.SetRouteOptions(f.routes[0], "hash")).To(Succeed())
			Eventually(func() string { return h.rec.route("store.apps.example.com").LoadBalancing }, 10*time.Second).Should(Equal("hash"))

			clock.Advance(time.Second)
			h.cc.DeleteRoute(f.routes[4])

			Eventually(h.rec.uris, 10*time.Second).ShouldNot(ContainElement("admin.apps.example.com"))
			h.waitForMorePolls(5)
			expectEachEventActedOnOnce(h)
			Expect(h.listings()).To(Equal(baseline))
		})
	})

	Context("with full syncs every 200ms", func() {
		BeforeEach(func() {
			cfg.FullSyncInterval = jsonduration.Duration(200 * time.Millisecond)
		})

		It("catches a change Cloud Controller recorded no event for", func() {
			mapped := h.eventsActedOn("audit.app.map-route")
			h.cc.SuppressEvents(true)
			Expect(h.cc.ReplaceDestinations(f.routes[1], []ccstandin.Destination{{AppGUID: f.appC, ProcessType: "worker"}})).To(Succeed())

			Eventually(func() []string { return appGUIDs(h.rec.route("store.apps.example.com/checkout").Destinations) }, 10*time.Second).
				Should(Equal([]string{f.appC}))
			Expect(h.metric("cfmesh_copilot_cc_full_sync_triggers_total", "reason", "periodic")).To(BeNumerically(">=", 1))
			Expect(h.listings()).To(BeNumerically(">", baseline))
			Expect(h.eventsActedOn("audit.app.map-route")).To(Equal(mapped), "no event brought it")
		})

		It("keeps events flowing while a full sync is slow, and keeps their changes when it ends", func() {
			entered, release := make(chan struct{}), make(chan struct{})
			h.cc.InjectFault(blockOn("/v3/spaces", entered, release))
			Eventually(entered, 10*time.Second).Should(BeClosed())

			h.cc.AddRoute("during", f.appsDomain, "")

			Eventually(h.rec.uris, 10*time.Second).Should(ContainElement("during.apps.example.com"))
			syncs := h.successes()
			close(release)
			Eventually(h.successes, 10*time.Second).Should(BeNumerically(">", syncs))
			h.rec.mu.Lock()
			defer h.rec.mu.Unlock()
			seen := false
			for _, v := range h.rec.values {
				has := slices.ContainsFunc(v.Routes, func(r source.DesiredRoute) bool { return r.Host == "during.apps.example.com" })
				Expect(!seen || has).To(BeTrue(), "the full sync that listed routes before the change must not undo it")
				seen = seen || has
			}
		})
	})
})

var _ = Describe("The first full sync", func() {
	It("publishes nothing before it, and includes what events touched while it listed", func() {
		h := newHarness()
		f := h.seed()
		entered, release := make(chan struct{}), make(chan struct{})
		h.cc.InjectFault(blockOn("/v3/spaces", entered, release))
		h.server.Start()
		h.run(h.config())
		Eventually(entered, 10*time.Second).Should(BeClosed())

		h.cc.AddRoute("early", f.appsDomain, "")
		Eventually(func() float64 { return h.eventsActedOn("audit.route.create") }, 10*time.Second).Should(BeNumerically("==", 1),
			"the seed's events were covered by the listing; this one came after the cursor started")
		Expect(h.rec.count()).To(Equal(0))

		close(release)

		Eventually(h.rec.count, 10*time.Second).Should(Equal(1))
		Expect(h.rec.uris()).To(ContainElement("early.apps.example.com"))
	})
})

// expectEachEventActedOnOnce compares the poller's per-type event counts
// with the events the stand-in recorded since the poller started (those
// before are covered by the first full sync).
func expectEachEventActedOnOnce(h *harness) {
	recorded := map[string]float64{}
	for _, e := range h.cc.AuditEvents()[h.eventsAtStart:] {
		if slices.Contains(cloudcontroller.EventTypes(), e.Type) {
			recorded[e.Type]++
		}
	}
	ExpectWithOffset(1, recorded).NotTo(BeEmpty())
	for eventType, n := range recorded {
		ExpectWithOffset(1, h.eventsActedOn(eventType)).To(Equal(n), eventType)
	}
}

// fakeClock is a settable clock for the stand-in's timestamps.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
