package cloudcontroller_test

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/cloudfoundry/go-cfclient/v3/client"
	"github.com/cloudfoundry/go-cfclient/v3/resource"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
)

var _ = Describe("audit events", func() {
	var (
		s            *standIn
		clock        *fakeClock
		domainGUID   string
		appA, appB   string
		routeGUID    string
		eventsBefore int
	)

	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	BeforeEach(func() {
		clock = &fakeClock{now: start}
		s = startStandIn(cloudcontroller.Options{Now: clock.Now})
		DeferCleanup(s.Close)
		domainGUID = s.cc.AddDomain("apps.example.com", false)
		appA, appB = s.cc.AddApp("a"), s.cc.AddApp("b")
		routeGUID = s.cc.AddRoute("shop", domainGUID, "")
		eventsBefore = len(s.cc.AuditEvents())
	})

	// listEvents lists audit events through go-cfclient.
	listEvents := func(change func(*client.AuditEventListOptions)) []*resource.AuditEvent {
		ctx, cancel := testContext()
		defer cancel()
		opts := client.NewAuditEventListOptions()
		if change != nil {
			change(opts)
		}
		events, err := s.goodClient().AuditEvents.ListAll(ctx, opts)
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
		return events
	}

	typesOf := func(events []*resource.AuditEvent) []string {
		var out []string
		for _, e := range events {
			out = append(out, e.Type)
		}
		return out
	}

	newEvents := func() []*resource.AuditEvent {
		return listEvents(nil)[eventsBefore:]
	}

	dataOf := func(e *resource.AuditEvent) map[string]any {
		var data map[string]any
		ExpectWithOffset(1, e.Data).NotTo(BeNil())
		ExpectWithOffset(1, json.Unmarshal(*e.Data, &data)).To(Succeed())
		return data
	}

	It("records the seed: apps, processes, routes, spaces and organizations", func() {
		org := s.cc.AddOrganization("o")
		space := s.cc.AddSpace("s", org)
		app := s.cc.AddApp("c", cloudcontroller.InSpace(space))
		s.cc.AddProcess(app, "web")

		Expect(typesOf(listEvents(nil))).To(Equal([]string{
			"audit.app.create", "audit.app.create", "audit.route.create",
			"audit.organization.create", "audit.space.create", "audit.app.create", "audit.app.process.create",
		}))
		last := newEvents()[3]
		Expect(last.Target).To(Equal(resource.AuditEventRelatedObject{GUID: app, Type: "app", Name: "c"}))
		Expect(last.Space.GUID).To(Equal(space))
		Expect(last.Organization.GUID).To(Equal(org))
		Expect(last.Actor.Type).To(Equal("user"))
	})

	It("records one unmap and one map per destination changed, and leaves the route's updated_at alone", func() {
		Expect(s.cc.ReplaceDestinations(routeGUID, []cloudcontroller.Destination{{AppGUID: appA}})).To(Succeed())
		clock.Advance(time.Second)
		Expect(s.cc.ReplaceDestinations(routeGUID, []cloudcontroller.Destination{
			{AppGUID: appA, Weight: ptr(80)}, {AppGUID: appB, Weight: ptr(20)},
		})).To(Succeed())
		Expect(s.cc.ReplaceDestinations(routeGUID, []cloudcontroller.Destination{
			{AppGUID: appA, Weight: ptr(80)}, {AppGUID: appB, Weight: ptr(20)},
		})).To(Succeed(), "replacing with the same set changes nothing")

		events := newEvents()

		Expect(typesOf(events)).To(Equal([]string{
			"audit.app.map-route", "audit.app.unmap-route", "audit.app.map-route", "audit.app.map-route",
		}))
		Expect(events[0].Target.GUID).To(Equal(appA))
		Expect(dataOf(events[0])).To(HaveKeyWithValue("route_guid", routeGUID))
		Expect(dataOf(events[0])).To(HaveKeyWithValue("weight", BeNil()))
		Expect(dataOf(events[2])).To(HaveKeyWithValue("weight", BeNumerically("==", 80)))
		Expect(dataOf(events[3])).To(HaveKeyWithValue("process_type", "web"))
		Expect(dataOf(events[3])).To(HaveKeyWithValue("app_port", BeNumerically("==", 8080)))
		Expect(events[3].Target.GUID).To(Equal(appB))
		Expect(events[1].CreatedAt).To(Equal(start.Add(time.Second)))
		route := routesOf(s)[0]
		Expect(route.UpdatedAt).To(Equal(start), "destination changes do not touch the route")
	})

	It("records inserts and single deletes", func() {
		Expect(s.cc.InsertDestinations(routeGUID, []cloudcontroller.Destination{{AppGUID: appA}, {AppGUID: appB}})).To(Succeed())
		ctx, cancel := testContext()
		defer cancel()
		dests, err := s.goodClient().Routes.GetDestinations(ctx, routeGUID)
		Expect(err).NotTo(HaveOccurred())

		Expect(s.goodClient().Routes.RemoveDestination(ctx, routeGUID, *dests.Destinations[0].GUID)).To(Succeed())

		events := newEvents()
		Expect(typesOf(events)).To(Equal([]string{"audit.app.map-route", "audit.app.map-route", "audit.app.unmap-route"}))
		Expect(dataOf(events[2])).To(HaveKeyWithValue("destination_guid", *dests.Destinations[0].GUID))
		Expect(routesOf(s)[0].Destinations).To(HaveLen(1))
	})

	It("refuses to delete a weighted destination or one the route does not have", func() {
		Expect(s.cc.ReplaceDestinations(routeGUID, []cloudcontroller.Destination{{AppGUID: appA, Weight: ptr(100)}})).To(Succeed())
		dest := *routesOf(s)[0].Destinations[0].GUID

		Expect(s.cc.DeleteDestination(routeGUID, dest)).To(MatchError(ContainSubstring("Weighted destinations cannot be deleted individually.")))
		Expect(s.cc.DeleteDestination(routeGUID, "nope")).To(MatchError(ContainSubstring("Ensure the route has a destination with this guid.")))
		Expect(s.cc.DeleteDestination("nope", dest)).To(MatchError(ContainSubstring("Route not found")))
		Expect(typesOf(newEvents())).To(Equal([]string{"audit.app.map-route"}))
	})

	It("records route updates, which move updated_at, and deletions, without unmaps", func() {
		Expect(s.cc.ReplaceDestinations(routeGUID, []cloudcontroller.Destination{{AppGUID: appA}})).To(Succeed())
		clock.Advance(2 * time.Second)
		Expect(s.cc.SetRouteOptions(routeGUID, "least-connection")).To(Succeed())
		Expect(s.cc.SetRouteAnnotations(routeGUID, map[string]string{"a": "b"})).To(Succeed())
		Expect(routesOf(s)[0].UpdatedAt).To(Equal(start.Add(2 * time.Second)))

		s.cc.DeleteRoute(routeGUID)

		events := newEvents()
		Expect(typesOf(events)).To(Equal([]string{
			"audit.app.map-route", "audit.route.update", "audit.route.update", "audit.route.delete-request",
		}))
		for _, e := range events[1:] {
			Expect(e.Target.GUID).To(Equal(routeGUID))
			Expect(e.Target.Type).To(Equal("route"))
		}
		Expect(routesOf(s)).To(BeEmpty())
	})

	It("records app starts and stops, from the Go API and from the v3 actions", func() {
		ctx, cancel := testContext()
		defer cancel()
		Expect(s.cc.SetAppState(appA, cloudcontroller.AppStopped)).To(Succeed())

		started, err := s.goodClient().Applications.Start(ctx, appA)
		Expect(err).NotTo(HaveOccurred())
		Expect(started.State).To(Equal("STARTED"))
		stopped, err := s.goodClient().Applications.Stop(ctx, appB)
		Expect(err).NotTo(HaveOccurred())
		Expect(stopped.State).To(Equal("STOPPED"))

		Expect(typesOf(newEvents())).To(Equal([]string{"audit.app.stop", "audit.app.start", "audit.app.stop"}))
		Expect(s.cc.SetAppState("nope", cloudcontroller.AppStarted)).To(MatchError(ContainSubstring("App not found")))
		Expect(s.cc.SetAppState(appA, "CRASHED")).To(MatchError(ContainSubstring(`State must be STARTED or STOPPED, not "CRASHED"`)))
		status, _ := s.do(http.MethodPost, "/v3/apps/nope/actions/start", s.token(), "")
		Expect(status).To(Equal(http.StatusNotFound))
	})

	It("records nothing while events are suppressed", func() {
		s.cc.SuppressEvents(true)
		s.cc.AddRoute("hidden", domainGUID, "")
		s.cc.SuppressEvents(false)
		s.cc.AddRoute("seen", domainGUID, "")

		events := newEvents()
		Expect(events).To(HaveLen(1))
		Expect(events[0].Target.Name).To(Equal("seen"))
	})

	Describe("filters", func() {
		BeforeEach(func() {
			// Three more events, one second apart: 12:00:01, :02, :03.
			for _, host := range []string{"one", "two", "three"} {
				clock.Advance(time.Second)
				s.cc.AddRoute(host, domainGUID, "")
			}
		})

		names := func(events []*resource.AuditEvent) []string {
			var out []string
			for _, e := range events {
				out = append(out, e.Target.Name)
			}
			return out
		}

		DescribeTable("by creation time, in whole seconds as Cloud Controller does",
			func(op client.FilterModifier, at time.Duration, want []string) {
				got := listEvents(func(o *client.AuditEventListOptions) {
					o.Types.EqualTo("audit.route.create")
					o.CreatedAts = client.TimestampFilterList{{Timestamp: []time.Time{start.Add(at)}, Operator: op}}
				})
				Expect(names(got)).To(Equal(want))
			},
			Entry("gte", client.FilterModifierGreaterThanOrEqual, 2*time.Second, []string{"two", "three"}),
			Entry("gt", client.FilterModifierGreaterThan, 2*time.Second, []string{"three"}),
			Entry("lt", client.FilterModifierLessThan, 2*time.Second, []string{"shop", "one"}),
			Entry("lte", client.FilterModifierLessThanOrEqual, 2*time.Second, []string{"shop", "one", "two"}),
			Entry("equal", client.FilterModifierNone, time.Second, []string{"one"}),
		)

		It("by type and target, newest first when asked, page by page", func() {
			got := listEvents(func(o *client.AuditEventListOptions) {
				o.Types.EqualTo("audit.route.create", "audit.app.map-route")
				o.OrderBy = "-created_at"
				o.PerPage = 1
			})
			Expect(names(got)).To(Equal([]string{"three", "two", "one", "shop"}))
			Expect(s.cc.Requests("/v3/audit_events")).To(Equal(4))

			got = listEvents(func(o *client.AuditEventListOptions) { o.TargetGUIDs.EqualTo(appA, routeGUID) })
			Expect(names(got)).To(Equal([]string{"a", "shop"}))

			got = listEvents(func(o *client.AuditEventListOptions) {
				o.Types.EqualTo("audit.route.create")
				o.TargetGUIDs.NotEqualTo(routeGUID)
			})
			Expect(names(got)).To(Equal([]string{"one", "two", "three"}))
		})

		It("counts filtered lists apart from full listings", func() {
			listEvents(func(o *client.AuditEventListOptions) { o.Types.EqualTo("audit.route.create") })
			Expect(s.cc.Listings("/v3/audit_events")).To(Equal(0))
			listEvents(nil)
			Expect(s.cc.Listings("/v3/audit_events")).To(Equal(1))
		})

		It("gets one event", func() {
			ctx, cancel := testContext()
			defer cancel()
			want := s.cc.AuditEvents()[0]

			got, err := s.goodClient().AuditEvents.Get(ctx, want.GUID)

			Expect(err).NotTo(HaveOccurred())
			Expect(got.Type).To(Equal(want.Type))
			Expect(got.CreatedAt).To(Equal(want.CreatedAt))
			status, _ := s.do(http.MethodGet, "/v3/audit_events/nope", s.token(), "")
			Expect(status).To(Equal(http.StatusNotFound))
		})
	})
})
