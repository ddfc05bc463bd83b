package cloudcontroller_test

import (
	"github.com/cloudfoundry/go-cfclient/v3/resource"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
)

// A small foundation for route_policies_scope: organization orgO holds the
// route's space spaceP and spaceS, organization orgT holds spaceT; one app
// in each space, plus apps and spaces the rules cannot place.
const (
	orgO   = "0a000000-0000-4000-8000-00000000000a"
	orgT   = "0b000000-0000-4000-8000-00000000000b"
	spaceP = "5a000000-0000-4000-8000-00000000000a"
	spaceS = "5b000000-0000-4000-8000-00000000000b"
	spaceT = "5c000000-0000-4000-8000-00000000000c"
	appInP = "aa000000-0000-4000-8000-0000000000aa"
	appInS = "ab000000-0000-4000-8000-0000000000ab"
	appInT = "ac000000-0000-4000-8000-0000000000ac"

	unknownApp     = "ad000000-0000-4000-8000-0000000000ad"
	appNoSpace     = "ae000000-0000-4000-8000-0000000000ae"
	appLostSpace   = "af000000-0000-4000-8000-0000000000af" // in unknownSpace
	unknownSpace   = "5d000000-0000-4000-8000-00000000000d"
	spaceNoOrg     = "5e000000-0000-4000-8000-00000000000e"
	unknownOrgGUID = "0c000000-0000-4000-8000-00000000000c"
)

func appIn(guid, spaceGUID string) *resource.App {
	a := app(guid, "STARTED")
	if spaceGUID != "" {
		a.Relationships.Space = resource.ToOneRelationship{Data: &resource.Relationship{GUID: spaceGUID}}
	}
	return a
}

func scopeFoundation(scope, routeSpace string, sources ...string) cloudcontroller.Foundation {
	r := route("r-scoped", "backend", "dom-identity", "", dest(appInP))
	if routeSpace != "" {
		inSpace(r, routeSpace)
	}
	f := cloudcontroller.Foundation{
		Routes:         []*resource.Route{r},
		Domains:        policyDomains,
		DomainPolicies: []cloudcontroller.DomainPolicy{{DomainGUID: "dom-identity", Enforce: true, Scope: scope}},
		Apps: []*resource.App{
			appIn(appInP, spaceP), appIn(appInS, spaceS), appIn(appInT, spaceT),
			appIn(appNoSpace, ""), appIn(appLostSpace, unknownSpace),
		},
		Spaces: []*resource.Space{
			space(spaceP, orgO), space(spaceS, orgO), space(spaceT, orgT),
			{Resource: resource.Resource{GUID: spaceNoOrg}},
		},
	}
	for i, src := range sources {
		f.RoutePolicies = append(f.RoutePolicies, routePolicy(string(rune('a'+i))+"-policy", "r-scoped", src))
	}
	return f
}

// scoped translates the one route under a scope and returns it with the
// errors.
func scoped(scope, routeSpace string, sources ...string) (source.DesiredRoute, []*cloudcontroller.RoutePolicyError) {
	out, errs := cloudcontroller.Translate(scopeFoundation(scope, routeSpace, sources...))
	ExpectWithOffset(1, out.Routes).To(HaveLen(1))
	return out.Routes[0], policyErrors(errs)
}

func caller(kind source.CallerKind, guid string) []source.Caller {
	return []source.Caller{{Kind: kind, GUID: guid}}
}

var _ = Describe("route_policies_scope", func() {
	DescribeTable("folds the scope into each caller of a route in space P of organization O",
		func(scope, src string, want []source.Caller) {
			r, errs := scoped(scope, spaceP, src)
			Expect(errs).To(BeEmpty())
			Expect(r.EnforceRoutePolicies).To(BeTrue())
			Expect(r.RoutePolicies).To(Equal(want))
		},
		Entry("any: cf:any as it is", "any", "cf:any", []source.Caller{{Kind: source.CallerAny}}),
		Entry("any: cf:org:X as it is", "any", "cf:org:"+orgT, caller(source.CallerOrganization, orgT)),
		Entry("any: cf:space:S as it is", "any", "cf:space:"+spaceT, caller(source.CallerSpace, spaceT)),
		Entry("any: cf:app:A as it is, known or not", "any", "cf:app:"+unknownApp, caller(source.CallerApp, unknownApp)),

		Entry("org: cf:any → organization:O", "org", "cf:any", caller(source.CallerOrganization, orgO)),
		Entry("org: cf:org:O kept", "org", "cf:org:"+orgO, caller(source.CallerOrganization, orgO)),
		Entry("org: cf:org:X of another organization dropped", "org", "cf:org:"+orgT, nil),
		Entry("org: an unknown cf:org:X dropped", "org", "cf:org:"+unknownOrgGUID, nil),
		Entry("org: cf:space:P kept", "org", "cf:space:"+spaceP, caller(source.CallerSpace, spaceP)),
		Entry("org: cf:space:S in O kept", "org", "cf:space:"+spaceS, caller(source.CallerSpace, spaceS)),
		Entry("org: cf:space:S outside O dropped", "org", "cf:space:"+spaceT, nil),
		Entry("org: cf:app:A in P kept", "org", "cf:app:"+appInP, caller(source.CallerApp, appInP)),
		Entry("org: cf:app:A in another space of O kept", "org", "cf:app:"+appInS, caller(source.CallerApp, appInS)),
		Entry("org: cf:app:A outside O dropped", "org", "cf:app:"+appInT, nil),

		Entry("space: cf:any → space:P", "space", "cf:any", caller(source.CallerSpace, spaceP)),
		Entry("space: cf:org:O → space:P", "space", "cf:org:"+orgO, caller(source.CallerSpace, spaceP)),
		Entry("space: cf:org:X of another organization dropped", "space", "cf:org:"+orgT, nil),
		Entry("space: cf:space:P kept", "space", "cf:space:"+spaceP, caller(source.CallerSpace, spaceP)),
		Entry("space: cf:space:S in O but not P dropped", "space", "cf:space:"+spaceS, nil),
		Entry("space: an unknown cf:space:S dropped: it is not P", "space", "cf:space:"+unknownSpace, nil),
		Entry("space: cf:app:A in P kept", "space", "cf:app:"+appInP, caller(source.CallerApp, appInP)),
		Entry("space: cf:app:A in O but not P dropped", "space", "cf:app:"+appInS, nil),
		Entry("space: cf:app:A outside O dropped", "space", "cf:app:"+appInT, nil),
	)

	DescribeTable("drops and reports a caller it cannot place, failing closed",
		func(scope, routeSpace, src, reason string) {
			r, errs := scoped(scope, routeSpace, src)
			Expect(r.EnforceRoutePolicies).To(BeTrue())
			Expect(r.RoutePolicies).To(BeNil())
			Expect(errs).To(HaveLen(1))
			Expect(errs[0].PolicyGUID).To(Equal("a-policy"))
			Expect(errs[0].RouteGUID).To(Equal("r-scoped"))
			Expect(errs[0].Source).To(Equal(src))
			Expect(errs[0].Reason).To(Equal(reason))
			Expect(errs[0].Error()).To(Equal("route policy a-policy of route r-scoped dropped: " + reason))
		},
		Entry("org: an unknown app", "org", spaceP, "cf:app:"+unknownApp,
			"route_policies_scope org: app "+unknownApp+" is not known"),
		Entry("org: an app without a space", "org", spaceP, "cf:app:"+appNoSpace,
			"route_policies_scope org: app "+appNoSpace+" names no space"),
		Entry("org: an app in an unknown space", "org", spaceP, "cf:app:"+appLostSpace,
			"route_policies_scope org: app "+appLostSpace+": space "+unknownSpace+" is not known"),
		Entry("org: an unknown space", "org", spaceP, "cf:space:"+unknownSpace,
			"route_policies_scope org: space "+unknownSpace+" is not known"),
		Entry("org: a space without an organization", "org", spaceP, "cf:space:"+spaceNoOrg,
			"route_policies_scope org: space "+spaceNoOrg+" names no organization"),
		Entry("org: a route without a space", "org", "", "cf:org:"+orgO,
			"route_policies_scope org: the route names no space"),
		Entry("org: a route in an unknown space", "org", unknownSpace, "cf:any",
			"route_policies_scope org: the route's space "+unknownSpace+" is not known"),
		Entry("org: a route in a space without an organization", "org", spaceNoOrg, "cf:space:"+spaceP,
			"route_policies_scope org: the route's space "+spaceNoOrg+" names no organization"),
		Entry("space: an unknown app", "space", spaceP, "cf:app:"+unknownApp,
			"route_policies_scope space: app "+unknownApp+" is not known"),
		Entry("space: an app without a space", "space", spaceP, "cf:app:"+appNoSpace,
			"route_policies_scope space: app "+appNoSpace+" names no space"),
		Entry("space: a route without a space", "space", "", "cf:any",
			"route_policies_scope space: the route names no space"),
		Entry("space: cf:org:X on a route in an unknown space", "space", unknownSpace, "cf:org:"+orgO,
			"route_policies_scope space: the route's space "+unknownSpace+" is not known"),
		Entry("an enforcing domain without a scope", "", spaceP, "cf:any",
			`the domain's route_policies_scope "" is not any, org or space`),
		Entry("an enforcing domain with a scope Cloud Controller does not know", "planet", spaceP, "cf:app:"+appInP,
			`the domain's route_policies_scope "planet" is not any, org or space`),
	)

	It("admits, on a route whose backend sits in another space, only what both spaces admit", func() {
		// The route is in a space the view does not know; its backend app is
		// in P. Under scope space no caller is in both spaces.
		r, errs := scoped("space", unknownSpace, "cf:any")
		Expect(errs).To(BeEmpty())
		Expect(r.RoutePolicies).To(BeNil())
		r, errs = scoped("space", unknownSpace, "cf:space:"+spaceP)
		Expect(errs).To(BeEmpty())
		Expect(r.RoutePolicies).To(BeNil())
	})

	It("sorts and de-duplicates the folded callers, keeping what it can place", func() {
		r, errs := scoped("org", spaceP, "cf:app:"+appInT, "cf:any", "cf:org:"+orgO, "cf:space:"+spaceS,
			"cf:app:"+unknownApp, "cf:app:"+appInS, "cf:space:"+spaceT)
		Expect(r.RoutePolicies).To(Equal([]source.Caller{
			{Kind: source.CallerApp, GUID: appInS},
			{Kind: source.CallerOrganization, GUID: orgO},
			{Kind: source.CallerSpace, GUID: spaceS},
		}))
		Expect(errs).To(HaveLen(1), "only the unknown app is reported; callers outside the scope are not")
		Expect(errs[0].PolicyGUID).To(Equal("e-policy"))
	})

	It("folds cf:any and the route's organization into one space caller under scope space", func() {
		r, errs := scoped("space", spaceP, "cf:org:"+orgO, "cf:any", "cf:space:"+spaceP)
		Expect(errs).To(BeEmpty())
		Expect(r.RoutePolicies).To(Equal(caller(source.CallerSpace, spaceP)))
	})

	It("keeps enforcing a route whose callers all fold away: it admits nobody", func() {
		r, errs := scoped("space", spaceP, "cf:app:"+appInT, "cf:space:"+spaceS)
		Expect(errs).To(BeEmpty())
		Expect(r.EnforceRoutePolicies).To(BeTrue())
		Expect(r.RoutePolicies).To(BeNil())
		Expect(r.Destinations).To(HaveLen(1), "the route itself still flows")
	})

	It("matches Cloud Controller's GUIDs whatever their case, and admits principals in lower case", func() {
		f := scopeFoundation("org", "5A000000-0000-4000-8000-00000000000A", "cf:any", "cf:app:"+appInS)
		f.Spaces = append(f.Spaces, space("5A000000-0000-4000-8000-00000000000A", "0A000000-0000-4000-8000-00000000000A"))
		f.Apps = append(f.Apps, appIn(appInS, "5B000000-0000-4000-8000-00000000000B"))
		out, errs := cloudcontroller.Translate(f)
		Expect(errs).To(BeEmpty())
		Expect(out.Routes[0].RoutePolicies).To(Equal([]source.Caller{
			{Kind: source.CallerApp, GUID: appInS},
			{Kind: source.CallerOrganization, GUID: orgO},
		}))
	})

	It("reports a route space that cannot be a principal instead of admitting it", func() {
		f := scopeFoundation("space", "not-a-guid", "cf:any")
		_, errs := cloudcontroller.Translate(f)
		perrs := policyErrors(errs)
		Expect(perrs).To(HaveLen(1))
		Expect(perrs[0].Reason).To(ContainSubstring(`"not-a-guid" is not a GUID`))
	})

	Describe("in a View, as apps and spaces change", func() {
		var v *cloudcontroller.View

		BeforeEach(func() {
			v = cloudcontroller.NewView(scopeFoundation("org", spaceP, "cf:app:"+appInT, "cf:space:"+unknownSpace))
		})

		It("admits an app once it moves into the organization, and drops it once it leaves", func() {
			out, errs := v.Translate()
			Expect(out.Routes[0].RoutePolicies).To(BeNil())
			Expect(policyErrors(errs)).To(HaveLen(1), "the unknown space")

			v.Apply(cloudcontroller.Delta{AppGUIDs: []string{appInT}, Apps: []*resource.App{appIn(appInT, spaceS)}})
			out, _ = v.Translate()
			Expect(out.Routes[0].RoutePolicies).To(Equal(caller(source.CallerApp, appInT)))

			v.Apply(cloudcontroller.Delta{AppGUIDs: []string{appInT}})
			out, errs = v.Translate()
			Expect(out.Routes[0].RoutePolicies).To(BeNil(), "a deleted app is unknown: fail closed")
			Expect(policyErrors(errs)).To(HaveLen(2))
		})

		It("admits a space's callers once the space is read", func() {
			v.Apply(cloudcontroller.Delta{Spaces: []*resource.Space{space(unknownSpace, orgO)}})
			out, errs := v.Translate()
			Expect(errs).To(BeEmpty())
			Expect(out.Routes[0].RoutePolicies).To(Equal(caller(source.CallerSpace, unknownSpace)))
		})

		It("re-applies the scope to a route transferred to another organization's space", func() {
			v.Apply(cloudcontroller.Delta{AppGUIDs: []string{appInT}, Apps: []*resource.App{appIn(appInT, spaceT)}})
			moved := inSpace(route("r-scoped", "backend", "dom-identity", "", dest(appInT)), spaceT)
			v.Apply(cloudcontroller.Delta{RouteGUIDs: []string{"r-scoped"}, Routes: []*resource.Route{moved}})
			out, _ := v.Translate()
			Expect(out.Routes[0].OrganizationGUID).To(Equal(orgT))
			Expect(out.Routes[0].RoutePolicies).To(Equal(caller(source.CallerApp, appInT)))

			By("admitting nobody from T while the route still sends traffic to a backend in O")
			spanning := inSpace(route("r-scoped", "backend", "dom-identity", "", dest(appInT), dest(appInP)), spaceT)
			v.Apply(cloudcontroller.Delta{RouteGUIDs: []string{"r-scoped"}, Routes: []*resource.Route{spanning}})
			out, _ = v.Translate()
			Expect(out.Routes[0].RoutePolicies).To(BeNil())
		})
	})

	Describe("View.UnknownCallers", func() {
		It("names the apps and spaces callers and apps refer to that the view lacks, sorted and unique", func() {
			v := cloudcontroller.NewView(scopeFoundation("org", spaceP))
			apps, spaces := v.UnknownCallers([]*resource.RoutePolicy{
				routePolicy("p1", "r", "cf:app:"+unknownApp),
				routePolicy("p2", "r", "cf:app:"+unknownApp),
				routePolicy("p3", "r", "cf:app:"+appInP),
				routePolicy("p4", "r", "cf:app:"+"ff000000-0000-4000-8000-0000000000ff"),
				routePolicy("p5", "r", "cf:space:"+unknownSpace),
				routePolicy("p6", "r", "cf:space:"+spaceS),
				routePolicy("p7", "r", "cf:org:"+unknownOrgGUID),
				routePolicy("p8", "r", "cf:any"),
				routePolicy("p9", "r", "cf:app:not-a-guid"),
				nil,
			}, []*resource.App{
				appIn("ff000000-0000-4000-8000-0000000000ff", "5f000000-0000-4000-8000-00000000000f"),
				appIn(appInS, spaceS), appIn(appNoSpace, ""), nil,
			})
			Expect(apps).To(Equal([]string{unknownApp}), "apps already read are not named again")
			Expect(spaces).To(Equal([]string{"5d000000-0000-4000-8000-00000000000d", "5f000000-0000-4000-8000-00000000000f"}))
		})

		It("names nothing when the view knows everything", func() {
			v := cloudcontroller.NewView(scopeFoundation("org", spaceP))
			apps, spaces := v.UnknownCallers([]*resource.RoutePolicy{routePolicy("p", "r", "cf:space:"+spaceT)},
				[]*resource.App{appIn(appInT, spaceT)})
			Expect(apps).To(BeEmpty())
			Expect(spaces).To(BeEmpty())
		})
	})
})
