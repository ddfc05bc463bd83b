package cloudcontroller_test

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/cloudfoundry/go-cfclient/v3/resource"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
)

var t0 = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

func event(guid, eventType, targetGUID string, at time.Duration, data string) *resource.AuditEvent {
	e := &resource.AuditEvent{Type: eventType, Target: resource.AuditEventRelatedObject{GUID: targetGUID},
		Resource: resource.Resource{GUID: guid, CreatedAt: t0.Add(at)}}
	if data != "" {
		raw := json.RawMessage(data)
		e.Data = &raw
	}
	return e
}

var _ = Describe("PlanRefresh", func() {
	view := func() *cloudcontroller.View {
		return cloudcontroller.NewView(cloudcontroller.Foundation{
			Routes: []*resource.Route{
				inSpace(route("r1", "a", "dom-apps", ""), "space-1"),
				inSpace(route("r2", "b", "dom-apps", ""), "space-2"),
			},
			Domains: domains,
			Apps:    []*resource.App{app("app-known", "STARTED")},
			Spaces:  []*resource.Space{space("space-1", "org-1"), space("space-2", "org-1")},
		})
	}

	DescribeTable("re-reads what each event type touches",
		func(e *resource.AuditEvent, want cloudcontroller.Refresh) {
			got, errs := cloudcontroller.PlanRefresh([]*resource.AuditEvent{e}, view())
			Expect(errs).To(BeEmpty())
			Expect(got).To(Equal(want))
		},
		Entry("a created route", event("e", "audit.route.create", "r9", 0, ""), cloudcontroller.Refresh{RouteGUIDs: []string{"r9"}}),
		Entry("an updated route", event("e", "audit.route.update", "r1", 0, ""), cloudcontroller.Refresh{RouteGUIDs: []string{"r1"}}),
		Entry("a deleted route", event("e", "audit.route.delete-request", "r1", 0, ""), cloudcontroller.Refresh{RouteGUIDs: []string{"r1"}}),
		Entry("a route moved to another space", event("e", "audit.route.transfer-owner", "r1", 0, ""), cloudcontroller.Refresh{RouteGUIDs: []string{"r1"}}),
		Entry("a mapping of a known app", event("e", "audit.app.map-route", "app-known", 0, `{"route_guid":"r1","weight":80}`),
			cloudcontroller.Refresh{RouteGUIDs: []string{"r1"}}),
		Entry("an unmapping of an unknown app", event("e", "audit.app.unmap-route", "app-new", 0, `{"route_guid":"r2"}`),
			cloudcontroller.Refresh{RouteGUIDs: []string{"r2"}, AppGUIDs: []string{"app-new"}}),
		Entry("a stopped app", event("e", "audit.app.stop", "app-known", 0, ""), cloudcontroller.Refresh{AppGUIDs: []string{"app-known"}}),
		Entry("a started app", event("e", "audit.app.start", "app-x", 0, ""), cloudcontroller.Refresh{AppGUIDs: []string{"app-x"}}),
		Entry("a v2 state update", event("e", "audit.app.update", "app-x", 0, `{"request":{"state":"STOPPED"}}`), cloudcontroller.Refresh{AppGUIDs: []string{"app-x"}}),
		Entry("a new process", event("e", "audit.app.process.create", "app-x", 0, ""), cloudcontroller.Refresh{AppGUIDs: []string{"app-x"}}),
		Entry("a rolling deployment", event("e", "audit.app.deployment.create", "app-x", 0, ""), cloudcontroller.Refresh{AppGUIDs: []string{"app-x"}}),
		Entry("a deleted space", event("e", "audit.space.delete-request", "space-2", 0, ""), cloudcontroller.Refresh{RouteGUIDs: []string{"r2"}}),
		Entry("a deleted organization", event("e", "audit.organization.delete-request", "org-1", 0, ""), cloudcontroller.Refresh{RouteGUIDs: []string{"r1", "r2"}}),
		Entry("an irrelevant event", event("e", "audit.app.ssh-authorized", "app-x", 0, ""), cloudcontroller.Refresh{}),
	)

	It("merges a batch, sorted and without repeats", func() {
		got, errs := cloudcontroller.PlanRefresh([]*resource.AuditEvent{
			event("e1", "audit.app.unmap-route", "app-known", 0, `{"route_guid":"r2"}`),
			event("e2", "audit.app.map-route", "app-known", 0, `{"route_guid":"r2"}`),
			event("e3", "audit.route.update", "r1", 0, ""),
			nil,
			event("e4", "audit.app.stop", "app-b", 0, ""),
			event("e5", "audit.app.start", "app-b", 0, ""),
		}, view())
		Expect(errs).To(BeEmpty())
		Expect(got).To(Equal(cloudcontroller.Refresh{RouteGUIDs: []string{"r1", "r2"}, AppGUIDs: []string{"app-b"}}))
		Expect(got.Empty()).To(BeFalse())
	})

	It("before the first full sync, re-reads every mapped app and leaves deletions of spaces to the sync", func() {
		got, errs := cloudcontroller.PlanRefresh([]*resource.AuditEvent{
			event("e1", "audit.app.map-route", "app-known", 0, `{"route_guid":"r1"}`),
			event("e2", "audit.space.delete-request", "space-1", 0, ""),
		}, nil)
		Expect(errs).To(BeEmpty())
		Expect(got).To(Equal(cloudcontroller.Refresh{RouteGUIDs: []string{"r1"}, AppGUIDs: []string{"app-known"}}))
	})

	DescribeTable("reports events it cannot use, and uses the rest",
		func(bad *resource.AuditEvent, reason string) {
			got, errs := cloudcontroller.PlanRefresh([]*resource.AuditEvent{bad, event("ok", "audit.route.update", "r1", 0, "")}, view())

			Expect(got).To(Equal(cloudcontroller.Refresh{RouteGUIDs: []string{"r1"}}))
			Expect(errs).To(HaveLen(1))
			var eventErr *cloudcontroller.EventError
			Expect(errors.As(errs[0], &eventErr)).To(BeTrue())
			Expect(eventErr.EventGUID).To(Equal("bad"))
			Expect(eventErr.Reason).To(Equal(reason))
		},
		Entry("no target", event("bad", "audit.route.create", "", 0, ""), "no target guid"),
		Entry("a mapping without data", event("bad", "audit.app.map-route", "app-known", 0, ""), "no data"),
		Entry("a mapping without route_guid", event("bad", "audit.app.map-route", "app-known", 0, `{"app_port":8080}`), "data has no route_guid"),
		Entry("a mapping with an empty route_guid", event("bad", "audit.app.unmap-route", "app-known", 0, `{"route_guid":""}`), "data has no route_guid"),
		Entry("a mapping whose data is a list", event("bad", "audit.app.map-route", "app-known", 0, `[1]`),
			"data is not an object with a route_guid: json: cannot unmarshal array into Go value of type struct { RouteGUID *string \"json:\\\"route_guid\\\"\" }"),
	)

	It("asks for every type it handles", func() {
		Expect(cloudcontroller.EventTypes()).To(ContainElements(
			"audit.route.create", "audit.route.update", "audit.route.delete-request", "audit.app.map-route",
			"audit.app.unmap-route", "audit.app.start", "audit.app.stop", "audit.space.delete-request",
			"audit.route_policy.create", "audit.route_policy.delete"))
		Expect(cloudcontroller.EventTypes()).To(HaveLen(20))
		Expect(cloudcontroller.EventTypes()).NotTo(ContainElement("audit.route_policy.update"), "metadata only")
	})

	It("unions refreshes", func() {
		a := cloudcontroller.Refresh{RouteGUIDs: []string{"r2", "r1"}}
		b := cloudcontroller.Refresh{RouteGUIDs: []string{"r1"}, AppGUIDs: []string{"x"}}
		Expect(a.Union(b)).To(Equal(cloudcontroller.Refresh{RouteGUIDs: []string{"r1", "r2"}, AppGUIDs: []string{"x"}}))
		Expect(cloudcontroller.Refresh{}.Empty()).To(BeTrue())
	})
})

var _ = Describe("EventCursor", func() {
	guids := func(events []*resource.AuditEvent) []string {
		var out []string
		for _, e := range events {
			out = append(out, e.GUID)
		}
		return out
	}

	It("starts without a time filter when Cloud Controller has no event", func() {
		c := cloudcontroller.NewEventCursor(time.Time{}, 5*time.Second)
		_, ok := c.Since()
		Expect(ok).To(BeFalse())

		fresh, c := c.Advance([]*resource.AuditEvent{event("a", "x", "t", 3*time.Second, "")})

		Expect(guids(fresh)).To(Equal([]string{"a"}))
		since, ok := c.Since()
		Expect(ok).To(BeTrue())
		Expect(since).To(Equal(t0.Add(-2 * time.Second)))
	})

	It("reads from the newest second minus the lookback", func() {
		c := cloudcontroller.NewEventCursor(t0.Add(1500*time.Millisecond), 5*time.Second)
		since, ok := c.Since()
		Expect(ok).To(BeTrue())
		Expect(since).To(Equal(t0.Add(-4 * time.Second)))
		Expect(c.Watermark()).To(Equal(t0.Add(time.Second)))
	})

	It("acts on each event once across reads that overlap at the second boundary", func() {
		c := cloudcontroller.NewEventCursor(t0, 0)

		fresh, c := c.Advance([]*resource.AuditEvent{event("a", "x", "t", 0, ""), event("b", "x", "t", 0, "")})
		Expect(guids(fresh)).To(Equal([]string{"a", "b"}))

		// The next read repeats second t0 (created_ats[gte]=t0), where a late
		// event appeared.
		fresh, c = c.Advance([]*resource.AuditEvent{event("a", "x", "t", 0, ""), event("b", "x", "t", 0, ""), event("c", "x", "t", 0, "")})
		Expect(guids(fresh)).To(Equal([]string{"c"}))
		Expect(c.Seen()).To(Equal(3))

		fresh, c = c.Advance([]*resource.AuditEvent{event("c", "x", "t", 0, ""), event("d", "x", "t", time.Second, "")})
		Expect(guids(fresh)).To(Equal([]string{"d"}))
		Expect(c.Seen()).To(Equal(1), "only the watermark second is remembered without lookback")
	})

	It("catches an event committed late within the lookback, once", func() {
		c := cloudcontroller.NewEventCursor(t0, 3*time.Second)
		_, c = c.Advance([]*resource.AuditEvent{event("a", "x", "t", 2*time.Second, "")})

		// A transaction that started at t0+1s committed after we read t0+2s.
		fresh, c := c.Advance([]*resource.AuditEvent{event("late", "x", "t", time.Second, ""), event("a", "x", "t", 2*time.Second, "")})
		Expect(guids(fresh)).To(Equal([]string{"late"}))
		Expect(c.Watermark()).To(Equal(t0.Add(2*time.Second)), "an older event never moves the watermark back")

		fresh, _ = c.Advance([]*resource.AuditEvent{event("late", "x", "t", time.Second, "")})
		Expect(fresh).To(BeEmpty())
	})

	It("leaves the cursor it came from alone, so a failed refresh re-reads", func() {
		c := cloudcontroller.NewEventCursor(t0, 0)
		_, _ = c.Advance([]*resource.AuditEvent{event("a", "x", "t", time.Second, "")})

		fresh, _ := c.Advance([]*resource.AuditEvent{event("a", "x", "t", time.Second, "")})
		Expect(guids(fresh)).To(Equal([]string{"a"}))
		Expect(c.Watermark()).To(Equal(t0))
	})

	It("returns events without a GUID every time", func() {
		c := cloudcontroller.NewEventCursor(t0, 0)
		fresh, c := c.Advance([]*resource.AuditEvent{event("", "x", "t", 0, ""), nil})
		Expect(fresh).To(HaveLen(1))
		fresh, _ = c.Advance([]*resource.AuditEvent{event("", "x", "t", 0, "")})
		Expect(fresh).To(HaveLen(1))
	})
})

var _ = Describe("DecodeRoutePage", func() {
	It("reads routes, included domains and whether a page follows", func() {
		page, err := cloudcontroller.DecodeRoutePage([]byte(`{
			"pagination": {"total_results": 3, "total_pages": 2, "next": {"href": "https://api/v3/routes?page=2"}},
			"resources": [{"guid": "r1", "host": "a", "protocol": "http", "relationships": {"domain": {"data": {"guid": "d1"}}}}],
			"included": {"domains": [{"guid": "d1", "name": "apps.example.com"}]}}`))

		Expect(err).NotTo(HaveOccurred())
		Expect(page.Next).To(BeTrue())
		Expect(page.Routes).To(HaveLen(1))
		Expect(page.Routes[0].Host).To(Equal("a"))
		Expect(page.Domains[0].Name).To(Equal("apps.example.com"))

		page, err = cloudcontroller.DecodeRoutePage([]byte(`{"pagination": {"next": null}, "resources": [], "included": {"domains": []}}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(page.Next).To(BeFalse())
		Expect(page.Routes).To(BeEmpty())
	})

	DescribeTable("refuses malformed pages",
		func(body, message string) {
			_, err := cloudcontroller.DecodeRoutePage([]byte(body))
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("not JSON", `<html>`, "decoding a route page"),
		Entry("truncated", `{"pagination": {`, "decoding a route page"),
		Entry("no pagination", `{"resources": [], "included": {}}`, "route page has no pagination"),
		Entry("no resources", `{"pagination": {}, "included": {}}`, "route page has no resources"),
		Entry("no included", `{"pagination": {}, "resources": []}`, "route page has no included domains"),
		Entry("a null route", `{"pagination": {}, "resources": [null], "included": {}}`, "resources[0] is not a route with a guid"),
		Entry("a route without guid", `{"pagination": {}, "resources": [{"host": "x"}], "included": {}}`, "resources[0] is not a route with a guid"),
		Entry("a resource of the wrong type", `{"pagination": {}, "resources": [7], "included": {}}`, "decoding a route page"),
	)
})

var _ = Describe("EventCursor.SkipTo", func() {
	It("moves reads past a burst, keeping the watermark and never moving back", func() {
		c := cloudcontroller.NewEventCursor(t0, 5*time.Second)
		_, c = c.Advance([]*resource.AuditEvent{event("a", "x", "t", 0, ""), event("b", "x", "t", 2*time.Second, "")})

		c = c.SkipTo(t0.Add(1500 * time.Millisecond))

		since, _ := c.Since()
		Expect(since).To(Equal(t0.Add(time.Second)), "the floor, not watermark minus lookback")
		Expect(c.Watermark()).To(Equal(t0.Add(2 * time.Second)))
		Expect(c.Seen()).To(Equal(1), "events before the floor are forgotten")
		fresh, _ := c.Advance([]*resource.AuditEvent{event("b", "x", "t", 2*time.Second, "")})
		Expect(fresh).To(BeEmpty())

		c = c.SkipTo(t0)
		since, _ = c.Since()
		Expect(since).To(Equal(t0.Add(time.Second)))

		c = c.SkipTo(t0.Add(time.Minute))
		since, _ = c.Since()
		Expect(since).To(Equal(t0.Add(time.Minute)))
		Expect(c.Watermark()).To(Equal(t0.Add(time.Minute)))
	})

	It("starts an empty cursor", func() {
		c := cloudcontroller.NewEventCursor(time.Time{}, time.Second).SkipTo(t0)
		since, ok := c.Since()
		Expect(ok).To(BeTrue())
		Expect(since).To(Equal(t0))
	})
})
