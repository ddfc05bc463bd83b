package ccpoller_test

import (
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	ccstandin "code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/source"
)

const (
	callerApp   = "d76446a1-f429-4444-8797-be2f78b75b08"
	callerSpace = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
)

const backendURI = "backend.apps.identity"

var _ = Describe("Route policies (RFC-0055)", func() {
	var (
		h                  *harness
		f                  foundation
		identity, backend  string
		standinOptions     ccstandin.Options
		baseline           int
		policyReadsAtStart int
	)

	BeforeEach(func() {
		standinOptions = ccstandin.Options{}
	})

	JustBeforeEach(func() {
		h = newHarnessWith(standinOptions)
		f = h.seed()
		var err error
		// Scope any: the callers these tests name are GUIDs the stand-in
		// does not hold, which scopes org and space would drop (see
		// scope_test.go).
		identity, err = h.cc.AddEnforcingDomain("apps.identity", ccstandin.ScopeAny)
		Expect(err).NotTo(HaveOccurred())
		backend = h.cc.AddRoute("backend", identity, "")
		Expect(h.cc.ReplaceDestinations(backend, []ccstandin.Destination{{AppGUID: f.appA}})).To(Succeed())
		if !standinOptions.NoRoutePolicies {
			_, err = h.cc.AddRoutePolicy(backend, "cf:space:"+callerSpace)
			Expect(err).NotTo(HaveOccurred())
		}
		h.server.Start()
		h.run(h.config())
		Eventually(h.rec.count, 10*time.Second).Should(Equal(1))
		baseline = h.listings() + h.cc.Listings("/v3/route_policies")
		policyReadsAtStart = h.cc.Requests("/v3/route_policies")
	})

	noFullListing := func() {
		ExpectWithOffset(1, h.listings()+h.cc.Listings("/v3/route_policies")).To(Equal(baseline), "no full listing")
		ExpectWithOffset(1, h.successes()).To(BeNumerically("==", 1), "still only the first full sync")
	}

	It("publishes routes on an enforcing domain with the callers their policies admit, from the first full sync", func() {
		r := h.rec.route(backendURI)
		Expect(r.EnforceRoutePolicies).To(BeTrue())
		Expect(r.RoutePolicies).To(Equal([]source.Caller{{Kind: source.CallerSpace, GUID: callerSpace}}))
		Expect(h.rec.route("admin.apps.example.com").EnforceRoutePolicies).To(BeFalse())
		Expect(h.cc.Listings("/v3/route_policies")).To(Equal(1), "listed once, in the full sync")
		Expect(h.metric("cfmesh_copilot_cc_route_policies")).To(BeNumerically("==", 1))
		Expect(h.metric("cfmesh_copilot_cc_rejected_route_policies")).To(BeNumerically("==", 0))
	})

	It("brings a route policy created to the published routes by events, with one targeted read", func() {
		_, err := h.cc.AddRoutePolicy(backend, "cf:app:"+callerApp)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() []source.Caller { return h.rec.route(backendURI).RoutePolicies }, 10*time.Second).Should(Equal([]source.Caller{
			{Kind: source.CallerApp, GUID: callerApp}, {Kind: source.CallerSpace, GUID: callerSpace},
		}))
		noFullListing()
		Expect(h.cc.Requests("/v3/route_policies")).To(Equal(policyReadsAtStart+1), "one read: ?route_guids=")
		Expect(h.eventsActedOn("audit.route_policy.create")).To(BeNumerically("==", 1))
	})

	It("brings a route policy deleted to the published routes by events, without a read", func() {
		_, err := h.cc.AddRoutePolicy(backend, "cf:app:"+callerApp)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() []source.Caller { return h.rec.route(backendURI).RoutePolicies }, 10*time.Second).Should(HaveLen(2))
		reads := h.cc.Requests("/v3/route_policies")
		policies := h.cc.AuditEvents()
		var created string
		for _, e := range policies {
			if e.Type == "audit.route_policy.create" {
				created = e.TargetGUID
			}
		}
		Expect(h.cc.DeleteRoutePolicy(created)).To(Succeed())
		Eventually(func() []source.Caller { return h.rec.route(backendURI).RoutePolicies }, 10*time.Second).Should(Equal([]source.Caller{
			{Kind: source.CallerSpace, GUID: callerSpace},
		}))
		Expect(h.cc.Requests("/v3/route_policies")).To(Equal(reads), "a deletion needs no read")
		noFullListing()
	})

	It("keeps enforcing a route whose last policy is deleted: it admits nobody", func() {
		var only string
		for _, e := range h.cc.AuditEvents() {
			if e.Type == "audit.route_policy.create" {
				only = e.TargetGUID
			}
		}
		Expect(h.cc.DeleteRoutePolicy(only)).To(Succeed())
		Eventually(func() []source.Caller { return h.rec.route(backendURI).RoutePolicies }, 10*time.Second).Should(BeEmpty())
		r := h.rec.route(backendURI)
		Expect(r.EnforceRoutePolicies).To(BeTrue())
		Expect(r.Destinations).To(HaveLen(1))
	})

	It("publishes a new route on an enforcing domain as enforcing, admitting nobody, by events", func() {
		fresh, err := h.cc.AddEnforcingDomain("fresh.identity", ccstandin.ScopeAny)
		Expect(err).NotTo(HaveOccurred())
		h.cc.AddRoute("api", fresh, "")
		Eventually(h.rec.uris, 10*time.Second).Should(ContainElement("api.fresh.identity"))
		r := h.rec.route("api.fresh.identity")
		Expect(r.EnforceRoutePolicies).To(BeTrue())
		Expect(r.RoutePolicies).To(BeEmpty())
		noFullListing()
	})

	It("drops a policy whose source does not parse, logs it once, and admits fewer callers", func() {
		h.cc.AddUncheckedRoutePolicy(backend, "cf:app:not-a-guid")
		Eventually(func() float64 { return h.metric("cfmesh_copilot_cc_rejected_route_policies") }, 10*time.Second).Should(BeNumerically("==", 1))
		r := h.rec.route(backendURI)
		Expect(r.EnforceRoutePolicies).To(BeTrue())
		Expect(r.RoutePolicies).To(Equal([]source.Caller{{Kind: source.CallerSpace, GUID: callerSpace}}))
		Expect(h.metric("cfmesh_copilot_cc_rejected_routes")).To(BeNumerically("==", 0), "the route itself still flows")
		Expect(h.logCount("route-policy-rejected")).To(Equal(1))
		Expect(h.logger).To(gbytes.Say(`route-policy-rejected.*not-a-guid.*is not a GUID`))

		_, err := h.cc.AddRoutePolicy(backend, "cf:app:"+callerApp)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() []source.Caller { return h.rec.route(backendURI).RoutePolicies }, 10*time.Second).Should(HaveLen(2))
		Expect(h.logCount("route-policy-rejected")).To(Equal(1), "logged once, not on every translation")
	})

	It("forgets a deleted route's policies with it", func() {
		h.cc.DeleteRoute(backend)
		Eventually(h.rec.uris, 10*time.Second).ShouldNot(ContainElement(backendURI))
		Eventually(func() float64 { return h.metric("cfmesh_copilot_cc_route_policies") }, 10*time.Second).Should(BeNumerically("==", 0))
	})

	It("retries a failed policy read at the next poll, publishing nothing meanwhile", func() {
		h.cc.InjectFault(func(r *http.Request) (int, string, time.Duration, bool) {
			return http.StatusServiceUnavailable, `{"errors":[{"code":10001,"title":"CF-ServiceUnavailable","detail":"injected"}]}`, 0,
				r.URL.Path == "/v3/route_policies" && r.URL.Query().Has("route_guids")
		})
		_, err := h.cc.AddRoutePolicy(backend, "cf:app:"+callerApp)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() float64 {
			return h.metric("cfmesh_copilot_cc_targeted_refreshes_total", "result", "failure")
		}, 10*time.Second).Should(BeNumerically(">=", 2))
		Expect(h.rec.route(backendURI).RoutePolicies).To(HaveLen(1))

		h.cc.ClearFaults()
		Eventually(func() []source.Caller { return h.rec.route(backendURI).RoutePolicies }, 10*time.Second).Should(HaveLen(2))
	})

	It("revokes a deleted policy at once, even while the reads that came with it fail", func() {
		h.cc.InjectFault(func(r *http.Request) (int, string, time.Duration, bool) {
			return http.StatusServiceUnavailable, `{"errors":[{"code":10001,"title":"CF-ServiceUnavailable","detail":"injected"}]}`, 0,
				r.URL.Path == "/v3/route_policies" && r.URL.Query().Has("route_guids")
		})
		_, err := h.cc.AddRoutePolicy(backend, "cf:app:"+callerApp)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() float64 {
			return h.metric("cfmesh_copilot_cc_targeted_refreshes_total", "result", "failure")
		}, 10*time.Second).Should(BeNumerically(">=", 1))
		var first string
		for _, e := range h.cc.AuditEvents() {
			if e.Type == "audit.route_policy.create" && first == "" {
				first = e.TargetGUID
			}
		}
		Expect(h.cc.DeleteRoutePolicy(first)).To(Succeed())
		Eventually(func() []source.Caller { return h.rec.route(backendURI).RoutePolicies }, 10*time.Second).Should(BeEmpty())
		Expect(h.rec.route(backendURI).EnforceRoutePolicies).To(BeTrue())
		Eventually(h.logger).Should(gbytes.Say("route-policies-revoked-before-refresh"))

		h.cc.ClearFaults()
		Eventually(func() []source.Caller { return h.rec.route(backendURI).RoutePolicies }, 10*time.Second).Should(Equal([]source.Caller{
			{Kind: source.CallerApp, GUID: callerApp},
		}))
	})

	Context("when full syncs fail at the policy listing", func() {
		It("keeps the last good routes and policies", func() {
			// Failed event polls ask for full syncs; fail their policy listing.
			h.cc.InjectFault(failWith(http.StatusInternalServerError, "/v3/route_policies", ""))
			triggers := h.metric("cfmesh_copilot_cc_full_sync_triggers_total", "reason", "event_poll_failed")
			h.cc.InjectFault(failWith(http.StatusServiceUnavailable, "/v3/audit_events", ""))
			h.waitForMoreSyncs("failure", 2)
			Expect(h.metric("cfmesh_copilot_cc_full_sync_triggers_total", "reason", "event_poll_failed")).To(BeNumerically(">", triggers))
			Expect(h.rec.count()).To(Equal(1), "nothing published: the view is the last good one")
			Expect(h.rec.route(backendURI).RoutePolicies).To(HaveLen(1))
			Eventually(h.logger).Should(gbytes.Say(`sync-failed.*listing route policies`))
		})
	})
})

var _ = Describe("Route policies against a Cloud Controller from before them", func() {
	It("full-syncs without them, says so once, and enforces nothing", func() {
		h := newHarnessWith(ccstandin.Options{NoRoutePolicies: true})
		f := h.seed()
		identity, err := h.cc.AddEnforcingDomain("apps.identity", ccstandin.ScopeAny)
		Expect(err).NotTo(HaveOccurred())
		h.cc.AddRoute("backend", identity, "")
		h.server.Start()
		cfg := h.config()
		cfg.FullSyncInterval = jsonduration.Duration(100 * time.Millisecond)
		h.run(cfg)
		Eventually(h.rec.count, 10*time.Second).Should(Equal(1))
		Expect(h.rec.route(backendURI).EnforceRoutePolicies).To(BeFalse(), "this Cloud Controller presents no route policy fields")
		h.waitForMoreSyncs("success", 2)
		Expect(h.failures()).To(BeNumerically("==", 0))
		Expect(h.logCount("route-policies-unsupported")).To(Equal(1))
		Expect(h.rec.route("store.apps.example.com").Destinations[0].AppGUID).To(Equal(f.appA))
	})
})
