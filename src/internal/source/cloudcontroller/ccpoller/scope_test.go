package ccpoller_test

import (
	"cmp"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	ccstandin "code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/source"
)

var _ = Describe("Route policy scopes (RFC-0055)", func() {
	It("folds an org-scoped and a space-scoped domain into each route's callers, and follows a new caller app by events", func() {
		h := newHarness()
		f := h.seed() // organization "payments" (f.org) with space "prod" (f.space)
		staging := h.cc.AddSpace("staging", f.org)
		monitoring := h.cc.AddSpace("monitoring", h.cc.AddOrganization("platform"))
		checkout := h.cc.AddApp("checkout", ccstandin.InSpace(f.space))
		frontend := h.cc.AddApp("frontend", ccstandin.InSpace(staging))
		prober := h.cc.AddApp("prober", ccstandin.InSpace(monitoring))
		const gone = "0d000000-0000-4000-8000-0000000000dd" // an app Cloud Controller does not hold

		orgScoped, err := h.cc.AddEnforcingDomain("apps.identity", ccstandin.ScopeOrganization)
		Expect(err).NotTo(HaveOccurred())
		spaceScoped, err := h.cc.AddEnforcingDomain("team.identity", ccstandin.ScopeSpace)
		Expect(err).NotTo(HaveOccurred())
		policies := map[string][]string{
			h.cc.AddRoute("ledger", orgScoped, "", ccstandin.InSpace(f.space)): {
				"cf:app:" + frontend, "cf:app:" + prober, "cf:space:" + monitoring, "cf:org:" + f.org, "cf:app:" + gone,
			},
			h.cc.AddRoute("payments", orgScoped, "", ccstandin.InSpace(f.space)): {"cf:any"},
			h.cc.AddRoute("ledger", spaceScoped, "", ccstandin.InSpace(f.space)): {
				"cf:app:" + checkout, "cf:app:" + frontend, "cf:space:" + staging, "cf:space:" + f.space,
			},
			h.cc.AddRoute("status", spaceScoped, "", ccstandin.InSpace(f.space)): {"cf:any"},
		}
		for routeGUID, sources := range policies {
			Expect(h.cc.ReplaceDestinations(routeGUID, []ccstandin.Destination{{AppGUID: checkout}})).To(Succeed())
			for _, src := range sources {
				_, err := h.cc.AddRoutePolicy(routeGUID, src)
				Expect(err).NotTo(HaveOccurred())
			}
		}
		h.server.Start()
		h.run(h.config())
		Eventually(h.rec.count, 10*time.Second).Should(Equal(1))

		callersOf := func(uri string) []source.Caller { return h.rec.route(uri).RoutePolicies }
		Expect(callersOf("ledger.apps.identity")).To(Equal(sortedCallers(
			source.Caller{Kind: source.CallerApp, GUID: frontend},
			source.Caller{Kind: source.CallerOrganization, GUID: f.org},
		)), "prober and monitoring are outside the organization; the unknown app is dropped")
		Expect(callersOf("payments.apps.identity")).To(Equal([]source.Caller{{Kind: source.CallerOrganization, GUID: f.org}}))
		Expect(callersOf("ledger.team.identity")).To(Equal(sortedCallers(
			source.Caller{Kind: source.CallerApp, GUID: checkout},
			source.Caller{Kind: source.CallerSpace, GUID: f.space},
		)), "frontend and staging are outside the space")
		Expect(callersOf("status.team.identity")).To(Equal([]source.Caller{{Kind: source.CallerSpace, GUID: f.space}}))
		Expect(h.rec.route("status.team.identity").EnforceRoutePolicies).To(BeTrue())
		Expect(h.metric("cfmesh_copilot_cc_rejected_route_policies")).To(BeNumerically("==", 1))
		Expect(h.logger).To(gbytes.Say(`route-policy-rejected.*route_policies_scope org: app ` + gone + ` is not known`))

		By("a policy naming an app created since the full sync: admitted once the app's start event brings the app")
		baseline := h.listings() + h.cc.Listings("/v3/route_policies")
		late := h.cc.AddApp("late", ccstandin.WithState(ccstandin.AppStopped), ccstandin.InSpace(staging))
		var ledger string
		for routeGUID, sources := range policies {
			if sources[0] == "cf:app:"+frontend {
				ledger = routeGUID
			}
		}
		_, err = h.cc.AddRoutePolicy(ledger, "cf:app:"+late)
		Expect(err).NotTo(HaveOccurred())
		Expect(h.cc.SetAppState(late, ccstandin.AppStarted)).To(Succeed())
		Eventually(func() []source.Caller { return callersOf("ledger.apps.identity") }, 10*time.Second).Should(ContainElement(
			source.Caller{Kind: source.CallerApp, GUID: late}))
		Expect(h.metric("cfmesh_copilot_cc_rejected_route_policies")).To(BeNumerically("==", 1))
		Expect(h.listings()+h.cc.Listings("/v3/route_policies")).To(Equal(baseline), "by events, without a full listing")
	})
})

// sortedCallers orders callers as Translate does: by kind, then GUID.
func sortedCallers(callers ...source.Caller) []source.Caller {
	slices.SortFunc(callers, func(a, b source.Caller) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.GUID, b.GUID))
	})
	return callers
}
