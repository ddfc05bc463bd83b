package cloudcontroller_test

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/cloudfoundry/go-cfclient/v3/client"
	"github.com/cloudfoundry/go-cfclient/v3/resource"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
)

const (
	callerApp   = "d76446a1-f429-4444-8797-be2f78b75b08"
	callerSpace = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	callerOrg   = "6e424e4e-5e46-419a-9cb6-eac9de2794e8"
)

var _ = Describe("route policies", func() {
	var (
		s                                  *standIn
		identity, spaceScoped, plain, intl string
		backend, other                     string
	)

	BeforeEach(func() {
		s = startStandIn(cloudcontroller.Options{})
		DeferCleanup(s.Close)
		var err error
		identity, err = s.cc.AddEnforcingDomain("apps.identity", cloudcontroller.ScopeOrganization)
		Expect(err).NotTo(HaveOccurred())
		spaceScoped, err = s.cc.AddEnforcingDomain("space.identity", cloudcontroller.ScopeSpace)
		Expect(err).NotTo(HaveOccurred())
		plain = s.cc.AddDomain("apps.example.com", false)
		intl = s.cc.AddDomain("apps.internal", true)
		backend = s.cc.AddRoute("backend", identity, "")
		other = s.cc.AddRoute("other", identity, "")
	})

	createWithClient := func(routeGUID, source string) (*resource.RoutePolicy, error) {
		ctx, cancel := testContext()
		defer cancel()
		return s.goodClient().RoutePolicies.Create(ctx, &resource.RoutePolicyCreate{
			Source: source,
			Relationships: resource.RoutePolicyRelationships{
				Route: &resource.ToOneRelationship{Data: &resource.Relationship{GUID: routeGUID}},
			},
		})
	}

	listWithClient := func(change func(*client.RoutePolicyListOptions)) []*resource.RoutePolicy {
		ctx, cancel := testContext()
		defer cancel()
		opts := client.NewRoutePolicyListOptions()
		opts.PerPage = 1
		if change != nil {
			change(opts)
		}
		policies, err := s.goodClient().RoutePolicies.ListAll(ctx, opts)
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
		return policies
	}

	It("creates, lists, reads and deletes policies through go-cfclient, in Cloud Controller's shape", func() {
		p, err := createWithClient(backend, "cf:app:"+callerApp)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Source).To(Equal("cf:app:" + callerApp))
		Expect(p.Relationships.Route.Data.GUID).To(Equal(backend))
		Expect(p.Relationships.App.Data.GUID).To(Equal(callerApp))
		Expect(p.Relationships.Space.Data).To(BeNil())
		_, err = s.cc.AddRoutePolicy(backend, "cf:space:"+callerSpace)
		Expect(err).NotTo(HaveOccurred())
		_, err = s.cc.AddRoutePolicy(other, "cf:any")
		Expect(err).NotTo(HaveOccurred())

		Expect(listWithClient(nil)).To(HaveLen(3), "paged one at a time")
		Expect(listWithClient(func(o *client.RoutePolicyListOptions) { o.RouteGUIDs.EqualTo(backend) })).To(HaveLen(2))
		Expect(listWithClient(func(o *client.RoutePolicyListOptions) { o.Sources.EqualTo("cf:any") })).To(HaveLen(1))
		Expect(listWithClient(func(o *client.RoutePolicyListOptions) { o.SourceGUIDs.EqualTo(callerSpace) })).To(HaveLen(1))
		Expect(listWithClient(func(o *client.RoutePolicyListOptions) { o.SpaceGUIDs.EqualTo(cloudcontroller.DefaultSpaceGUID) })).To(HaveLen(3))
		Expect(s.cc.Listings("/v3/route_policies")).To(Equal(3), "only the unfiltered listing's pages count")

		ctx, cancel := testContext()
		defer cancel()
		got, err := s.goodClient().RoutePolicies.Get(ctx, p.GUID)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Source).To(Equal(p.Source))
		_, err = s.goodClient().RoutePolicies.Delete(ctx, p.GUID)
		Expect(err).NotTo(HaveOccurred())
		Expect(listWithClient(func(o *client.RoutePolicyListOptions) { o.RouteGUIDs.EqualTo(backend) })).To(HaveLen(1))
		_, err = s.goodClient().RoutePolicies.Get(ctx, p.GUID)
		Expect(resource.IsResourceNotFoundError(err)).To(BeTrue(), "%v", err)
	})

	It("records the audit events Cloud Controller records", func() {
		before := len(s.cc.AuditEvents())
		guid, err := s.cc.AddRoutePolicy(backend, "cf:org:"+callerOrg)
		Expect(err).NotTo(HaveOccurred())
		Expect(s.cc.DeleteRoutePolicy(guid)).To(Succeed())

		ctx, cancel := testContext()
		defer cancel()
		events, err := s.goodClient().AuditEvents.ListAll(ctx, nil)
		Expect(err).NotTo(HaveOccurred())
		events = events[before:]
		Expect(events).To(HaveLen(2))
		create, del := events[0], events[1]
		Expect(create.Type).To(Equal("audit.route_policy.create"))
		Expect(create.Target.GUID).To(Equal(guid))
		Expect(create.Target.Type).To(Equal("route_policy"))
		Expect(create.Target.Name).To(Equal("cf:org:" + callerOrg))
		Expect(create.Space.GUID).To(Equal(cloudcontroller.DefaultSpaceGUID))
		var data map[string]any
		Expect(json.Unmarshal(*create.Data, &data)).To(Succeed())
		Expect(data).To(Equal(map[string]any{"request": map[string]any{"source": "cf:org:" + callerOrg, "route_guid": backend}}))
		Expect(del.Type).To(Equal("audit.route_policy.delete"))
		Expect(del.Target.GUID).To(Equal(guid))
		var deleteData map[string]any
		Expect(json.Unmarshal(*del.Data, &deleteData)).To(Succeed())
		Expect(deleteData).To(BeEmpty())
	})

	It("deletes a route's policies with the route, recording no policy event", func() {
		_, err := s.cc.AddRoutePolicy(backend, "cf:any")
		Expect(err).NotTo(HaveOccurred())
		before := len(s.cc.AuditEvents())
		s.cc.DeleteRoute(backend)
		Expect(listWithClient(nil)).To(BeEmpty())
		events := s.cc.AuditEvents()[before:]
		Expect(events).To(HaveLen(1))
		Expect(events[0].Type).To(Equal("audit.route.delete-request"))
	})

	DescribeTable("refuses what Cloud Controller refuses, with its messages",
		func(setup func() (routeGUID, source string), status int, detail string) {
			routeGUID, source := setup()
			_, err := createWithClient(routeGUID, source)
			Expect(err).To(HaveOccurred())
			var cfErr resource.CloudFoundryError
			Expect(errors.As(err, &cfErr)).To(BeTrue(), "%v", err)
			Expect(cfErr.Detail).To(ContainSubstring(detail))
			_, apiErr := s.cc.AddRoutePolicy(routeGUID, source)
			var e *cloudcontroller.APIError
			Expect(errors.As(apiErr, &e)).To(BeTrue())
			Expect(e.Status).To(Equal(status))
		},
		Entry("a malformed source", func() (string, string) { return backend, "cf:user:" + callerApp }, http.StatusUnprocessableEntity,
			"Source must be in format 'cf:app:<uuid>', 'cf:space:<uuid>', 'cf:org:<uuid>', or 'cf:any'"),
		Entry("an upper-case GUID", func() (string, string) { return backend, "cf:app:D76446A1-F429-4444-8797-BE2F78B75B08" }, http.StatusUnprocessableEntity,
			"Source must be in format"),
		Entry("an unknown route", func() (string, string) { return "no-such-route", "cf:any" }, http.StatusNotFound, "Route not found"),
		Entry("a route on an internal domain", func() (string, string) { return s.cc.AddRoute("x", intl, ""), "cf:any" }, http.StatusUnprocessableEntity,
			"Cannot create route policies for routes on internal domains."),
		Entry("a route on a domain that does not enforce", func() (string, string) { return s.cc.AddRoute("x", plain, ""), "cf:any" }, http.StatusUnprocessableEntity,
			"the route's domain does not have enforce_route_policies enabled"),
		Entry("an organization on a space-scoped domain", func() (string, string) { return s.cc.AddRoute("x", spaceScoped, ""), "cf:org:" + callerOrg },
			http.StatusUnprocessableEntity, "is not allowed: domain's route_policies_scope is 'space'"),
		Entry("a duplicate source", func() (string, string) {
			_, err := s.cc.AddRoutePolicy(backend, "cf:app:"+callerApp)
			Expect(err).NotTo(HaveOccurred())
			return backend, "cf:app:" + callerApp
		}, http.StatusUnprocessableEntity, "already exists for this route"),
		Entry("cf:any beside another source", func() (string, string) {
			_, err := s.cc.AddRoutePolicy(backend, "cf:app:"+callerApp)
			Expect(err).NotTo(HaveOccurred())
			return backend, "cf:any"
		}, http.StatusUnprocessableEntity, "'cf:any' cannot coexist with other route policies"),
		Entry("another source beside cf:any", func() (string, string) {
			_, err := s.cc.AddRoutePolicy(backend, "cf:any")
			Expect(err).NotTo(HaveOccurred())
			return backend, "cf:app:" + callerApp
		}, http.StatusUnprocessableEntity, "cannot coexist with the existing 'cf:any' policy"),
	)

	It("stores, unchecked, what the API would refuse", func() {
		guid := s.cc.AddUncheckedRoutePolicy(backend, "cf:app:not-a-guid")
		policies := listWithClient(nil)
		Expect(policies).To(HaveLen(1))
		Expect(policies[0].GUID).To(Equal(guid))
		Expect(policies[0].Source).To(Equal("cf:app:not-a-guid"))
	})

	It("refuses a sources filter Cloud Controller would refuse", func() {
		status, body := s.do(http.MethodGet, "/v3/route_policies?sources=cf:nobody", s.token(), "")
		Expect(status).To(Equal(http.StatusBadRequest))
		Expect(firstError(body)["detail"]).To(ContainSubstring("invalid source format"))
	})

	It("presents the route policy fields of enforcing domains only", func() {
		status, body := s.do(http.MethodGet, "/v3/domains?guids="+identity+","+plain, s.token(), "")
		Expect(status).To(Equal(http.StatusOK))
		resources := body["resources"].([]any)
		Expect(resources).To(HaveLen(2))
		Expect(resources[0]).To(HaveKeyWithValue("enforce_route_policies", true))
		Expect(resources[0]).To(HaveKeyWithValue("route_policies_scope", "org"))
		Expect(resources[1]).NotTo(HaveKey("enforce_route_policies"))
		Expect(resources[1]).NotTo(HaveKey("route_policies_scope"))
		_, err := s.cc.AddEnforcingDomain("x.identity", "galaxy")
		Expect(err).To(MatchError(ContainSubstring("must be one of 'any', 'org', 'space'")))
	})

	It("includes the enforcing domain with routes", func() {
		status, body := s.do(http.MethodGet, "/v3/routes?include=domain&guids="+backend, s.token(), "")
		Expect(status).To(Equal(http.StatusOK))
		domains := body["included"].(map[string]any)["domains"].([]any)
		Expect(domains).To(ConsistOf(HaveKeyWithValue("enforce_route_policies", true)))
	})

	Context("playing a Cloud Controller from before route policies", func() {
		BeforeEach(func() {
			s = startStandIn(cloudcontroller.Options{NoRoutePolicies: true})
			DeferCleanup(s.Close)
			var err error
			identity, err = s.cc.AddEnforcingDomain("apps.identity", cloudcontroller.ScopeAny)
			Expect(err).NotTo(HaveOccurred())
			backend = s.cc.AddRoute("backend", identity, "")
		})

		It("does not know the endpoint, nor the domain fields", func() {
			ctx, cancel := testContext()
			defer cancel()
			_, err := s.goodClient().RoutePolicies.ListAll(ctx, nil)
			Expect(resource.IsNotFoundError(err)).To(BeTrue(), "%v", err)
			_, err = s.cc.AddRoutePolicy(backend, "cf:any")
			Expect(err).To(MatchError(ContainSubstring("Unknown request")))
			Expect(s.cc.DeleteRoutePolicy("x")).To(MatchError(ContainSubstring("Unknown request")))
			_, body := s.do(http.MethodGet, "/v3/domains", s.token(), "")
			Expect(body["resources"].([]any)[0]).NotTo(HaveKey("enforce_route_policies"))
		})
	})
})
