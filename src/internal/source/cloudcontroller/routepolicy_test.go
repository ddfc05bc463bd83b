package cloudcontroller_test

import (
	"errors"

	"github.com/cloudfoundry/go-cfclient/v3/resource"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
)

const (
	callerApp   = "d76446a1-f429-4444-8797-be2f78b75b08"
	callerSpace = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	callerOrg   = "6e424e4e-5e46-419a-9cb6-eac9de2794e8"
)

func routePolicy(guid, routeGUID, src string) *resource.RoutePolicy {
	return &resource.RoutePolicy{
		Source:        src,
		Resource:      resource.Resource{GUID: guid},
		Relationships: resource.RoutePolicyRelationships{Route: &resource.ToOneRelationship{Data: &resource.Relationship{GUID: routeGUID}}},
	}
}

// identity is a domain that enforces route policies (RFC-0055's
// apps.identity), with scope any: callers stand as their policies name them
// (scope_test.go covers the other scopes).
var identity = cloudcontroller.DomainPolicy{DomainGUID: "dom-identity", Enforce: true, Scope: cloudcontroller.ScopeAny}

var policyDomains = append([]*resource.Domain{domain("dom-identity", "apps.identity", false)}, domains...)

func routeNamed(out source.DesiredRoutes, guid string) source.DesiredRoute {
	for _, r := range out.Routes {
		if r.GUID == guid {
			return r
		}
	}
	Fail("no route " + guid)
	return source.DesiredRoute{}
}

func policyErrors(errs []error) []*cloudcontroller.RoutePolicyError {
	var out []*cloudcontroller.RoutePolicyError
	for _, err := range errs {
		var perr *cloudcontroller.RoutePolicyError
		ExpectWithOffset(1, errors.As(err, &perr)).To(BeTrue(), "%v", err)
		out = append(out, perr)
	}
	return out
}

var _ = Describe("route policies", func() {
	Describe("Translate", func() {
		var f cloudcontroller.Foundation

		BeforeEach(func() {
			f = cloudcontroller.Foundation{
				Routes: []*resource.Route{
					route("r-backend", "backend", "dom-identity", "", dest("app-b")),
					route("r-closed", "closed", "dom-identity", ""),
					route("r-open", "open", "dom-apps", ""),
				},
				Domains:        policyDomains,
				DomainPolicies: []cloudcontroller.DomainPolicy{identity, {DomainGUID: "dom-apps"}},
				RoutePolicies: []*resource.RoutePolicy{
					routePolicy("p1", "r-backend", "cf:space:"+callerSpace),
					routePolicy("p2", "r-backend", "cf:app:"+callerApp),
					routePolicy("p3", "r-backend", "cf:org:"+callerOrg),
					routePolicy("p4", "r-open", "cf:any"),
					nil,
				},
			}
		})

		It("gives a route on an enforcing domain the callers its policies admit, sorted by kind, then GUID", func() {
			out, errs := cloudcontroller.Translate(f)
			Expect(errs).To(BeEmpty())
			backend := routeNamed(out, "r-backend")
			Expect(backend.EnforceRoutePolicies).To(BeTrue())
			Expect(backend.RoutePolicies).To(Equal([]source.Caller{
				{Kind: source.CallerApp, GUID: callerApp},
				{Kind: source.CallerOrganization, GUID: callerOrg},
				{Kind: source.CallerSpace, GUID: callerSpace},
			}))
		})

		It("enforces a route without policies, admitting nobody", func() {
			out, _ := cloudcontroller.Translate(f)
			closed := routeNamed(out, "r-closed")
			Expect(closed.EnforceRoutePolicies).To(BeTrue())
			Expect(closed.RoutePolicies).To(BeNil())
		})

		It("carries no callers for a route on a domain that does not enforce", func() {
			out, _ := cloudcontroller.Translate(f)
			open := routeNamed(out, "r-open")
			Expect(open.EnforceRoutePolicies).To(BeFalse())
			Expect(open.RoutePolicies).To(BeNil())
		})

		It("treats a domain without a setting as not enforcing", func() {
			f.DomainPolicies = nil
			out, errs := cloudcontroller.Translate(f)
			Expect(errs).To(BeEmpty())
			Expect(routeNamed(out, "r-backend").EnforceRoutePolicies).To(BeFalse())
		})

		It("admits anyone with cf:any", func() {
			f.RoutePolicies = []*resource.RoutePolicy{routePolicy("p", "r-closed", "cf:any")}
			out, _ := cloudcontroller.Translate(f)
			Expect(routeNamed(out, "r-closed").RoutePolicies).To(Equal([]source.Caller{{Kind: source.CallerAny}}))
		})

		It("drops a policy whose source does not parse, naming it, and keeps the route with fewer callers", func() {
			f.RoutePolicies = append(f.RoutePolicies,
				routePolicy("p-bad", "r-backend", "cf:user:"+callerApp),
				routePolicy("p-worse", "r-closed", "cf:app:*"),
				routePolicy("p-upper", "r-backend", "cf:app:D76446A1-F429-4444-8797-BE2F78B75B08"),
			)
			out, errs := cloudcontroller.Translate(f)
			perrs := policyErrors(errs)
			Expect(perrs).To(HaveLen(2))
			Expect(perrs[0].PolicyGUID).To(Equal("p-bad"))
			Expect(perrs[0].RouteGUID).To(Equal("r-backend"))
			Expect(perrs[0].Source).To(Equal("cf:user:" + callerApp))
			Expect(perrs[0].Error()).To(ContainSubstring(`route policy p-bad of route r-backend dropped: route policy source "cf:user:` + callerApp + `"`))
			Expect(perrs[1].Reason).To(ContainSubstring("is not a GUID"))
			Expect(routeNamed(out, "r-backend").RoutePolicies).To(HaveLen(3), "the upper-case duplicate folds into the app caller")
			closed := routeNamed(out, "r-closed")
			Expect(closed.EnforceRoutePolicies).To(BeTrue())
			Expect(closed.RoutePolicies).To(BeNil(), "fails closed")
		})

		It("reports no policy errors for routes that do not enforce", func() {
			f.RoutePolicies = []*resource.RoutePolicy{routePolicy("p-bad", "r-open", "nonsense")}
			_, errs := cloudcontroller.Translate(f)
			Expect(errs).To(BeEmpty())
		})
	})

	Describe("View", func() {
		var v *cloudcontroller.View

		BeforeEach(func() {
			v = cloudcontroller.NewView(cloudcontroller.Foundation{
				Routes:         []*resource.Route{route("r1", "one", "dom-identity", ""), route("r2", "two", "dom-identity", "")},
				Domains:        policyDomains,
				DomainPolicies: []cloudcontroller.DomainPolicy{identity},
				RoutePolicies: []*resource.RoutePolicy{
					routePolicy("p1", "r1", "cf:app:"+callerApp),
					routePolicy("p2", "r2", "cf:space:"+callerSpace),
				},
			})
		})

		callersOf := func(guid string) []source.Caller {
			out, errs := v.Translate()
			ExpectWithOffset(1, errs).To(BeEmpty())
			return routeNamed(out, guid).RoutePolicies
		}

		It("lists what it holds", func() {
			f := v.Foundation()
			Expect(f.DomainPolicies).To(Equal([]cloudcontroller.DomainPolicy{identity}))
			Expect(f.RoutePolicies).To(HaveLen(2))
			Expect(v.RoutePolicyCount()).To(Equal(2))
			Expect(v.HasRoutePolicy("p1")).To(BeTrue())
		})

		It("replaces exactly the re-read routes' policies", func() {
			v.Apply(cloudcontroller.Delta{
				PolicyRouteGUIDs: []string{"r1"},
				RoutePolicies:    []*resource.RoutePolicy{routePolicy("p3", "r1", "cf:org:"+callerOrg), nil},
			})
			Expect(callersOf("r1")).To(Equal([]source.Caller{{Kind: source.CallerOrganization, GUID: callerOrg}}))
			Expect(callersOf("r2")).To(HaveLen(1))
			Expect(v.HasRoutePolicy("p1")).To(BeFalse())

			v.Apply(cloudcontroller.Delta{PolicyRouteGUIDs: []string{"r1"}})
			Expect(callersOf("r1")).To(BeNil(), "no policies left")
		})

		It("removes deleted policies without a read", func() {
			v.Apply(cloudcontroller.Delta{DeletedRoutePolicyGUIDs: []string{"p2", "p-unknown"}})
			Expect(callersOf("r2")).To(BeNil())
			Expect(v.RoutePolicyCount()).To(Equal(1))
		})

		It("forgets the policies of a deleted route, and keeps those of a re-read one", func() {
			v.Apply(cloudcontroller.Delta{RouteGUIDs: []string{"r1", "r2"}, Routes: []*resource.Route{route("r2", "two", "dom-identity", "")}})
			Expect(v.HasRoutePolicy("p1")).To(BeFalse())
			Expect(v.HasRoutePolicy("p2")).To(BeTrue())
		})

		It("learns a new domain's setting, and keeps a known one when the domain is re-read without it", func() {
			v.Apply(cloudcontroller.Delta{
				RouteGUIDs:     []string{"r3"},
				Routes:         []*resource.Route{route("r3", "three", "dom-new", "")},
				Domains:        []*resource.Domain{domain("dom-new", "new.identity", false), domain("dom-identity", "apps.identity", false)},
				DomainPolicies: []cloudcontroller.DomainPolicy{{DomainGUID: "dom-new", Enforce: true, Scope: cloudcontroller.ScopeSpace}},
			})
			out, _ := v.Translate()
			Expect(routeNamed(out, "r3").EnforceRoutePolicies).To(BeTrue())
			Expect(routeNamed(out, "r1").EnforceRoutePolicies).To(BeTrue(), "a domain's setting never changes")
		})
	})

	Describe("PlanRefresh", func() {
		It("re-reads a new policy's route's policies, and removes a deleted policy without a read", func() {
			got, errs := cloudcontroller.PlanRefresh([]*resource.AuditEvent{
				event("e1", "audit.route_policy.create", "p9", 0, `{"request":{"source":"cf:any","route_guid":"r1"}}`),
				event("e2", "audit.route_policy.delete", "p1", 0, `{}`),
				event("e3", "audit.route_policy.update", "p2", 0, `{"request":{"metadata":{}}}`),
			}, nil)
			Expect(errs).To(BeEmpty())
			Expect(got).To(Equal(cloudcontroller.Refresh{PolicyRouteGUIDs: []string{"r1"}, DeletedRoutePolicyGUIDs: []string{"p1"}}))
			Expect(got.Reads()).To(Equal(1))
			Expect(got.Empty()).To(BeFalse())
			Expect(cloudcontroller.Refresh{DeletedRoutePolicyGUIDs: []string{"p"}}.Empty()).To(BeFalse())
		})

		DescribeTable("reports a creation it cannot place",
			func(data, reason string) {
				_, errs := cloudcontroller.PlanRefresh([]*resource.AuditEvent{event("bad", "audit.route_policy.create", "p9", 0, data)}, nil)
				Expect(errs).To(HaveLen(1))
				var eventErr *cloudcontroller.EventError
				Expect(errors.As(errs[0], &eventErr)).To(BeTrue())
				Expect(eventErr.Reason).To(ContainSubstring(reason))
			},
			Entry("no data", "", "no data"),
			Entry("no request", `{}`, "data has no request.route_guid"),
			Entry("no route guid", `{"request":{"source":"cf:any"}}`, "data has no request.route_guid"),
			Entry("data that is no object", `"x"`, "data is not an object with a request"),
		)

		It("reports a deletion without a target", func() {
			_, errs := cloudcontroller.PlanRefresh([]*resource.AuditEvent{event("bad", "audit.route_policy.delete", "", 0, `{}`)}, nil)
			Expect(errs).To(HaveLen(1))
		})

		It("unions every part", func() {
			a := cloudcontroller.Refresh{PolicyRouteGUIDs: []string{"r2"}, DeletedRoutePolicyGUIDs: []string{"p2", "p1"}}
			b := cloudcontroller.Refresh{PolicyRouteGUIDs: []string{"r1", "r2"}, DeletedRoutePolicyGUIDs: []string{"p1"}}
			Expect(a.Union(b)).To(Equal(cloudcontroller.Refresh{PolicyRouteGUIDs: []string{"r1", "r2"}, DeletedRoutePolicyGUIDs: []string{"p1", "p2"}}))
		})
	})

	Describe("DecodeRoutePage", func() {
		It("reads the domains' route policy settings, which Cloud Controller presents only when enforcing", func() {
			page, err := cloudcontroller.DecodeRoutePage([]byte(`{"pagination":{"next":null},"resources":[],"included":{"domains":[
				{"guid":"dom-identity","name":"apps.identity","internal":false,"enforce_route_policies":true,"route_policies_scope":"org"},
				{"guid":"dom-apps","name":"apps.example.com","internal":false},
				null]}}`))
			Expect(err).NotTo(HaveOccurred())
			Expect(page.Domains).To(HaveLen(3))
			Expect(page.Domains[0].Name).To(Equal("apps.identity"))
			Expect(page.DomainPolicies).To(Equal([]cloudcontroller.DomainPolicy{
				{DomainGUID: "dom-identity", Enforce: true, Scope: "org"},
				{DomainGUID: "dom-apps"},
			}))
		})

		DescribeTable("refuses route policy fields of the wrong type",
			func(domainJSON string) {
				_, err := cloudcontroller.DecodeRoutePage([]byte(`{"pagination":{},"resources":[],"included":{"domains":[` + domainJSON + `]}}`))
				Expect(err).To(MatchError(ContainSubstring("route page included domains[0]")))
			},
			Entry("enforcement as a string", `{"guid":"d","enforce_route_policies":"true"}`),
			Entry("a scope as a number", `{"guid":"d","enforce_route_policies":true,"route_policies_scope":1}`),
			Entry("a domain that is no object", `"d"`),
		)
	})
})
