package cloudcontroller_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/cloudfoundry/go-cfclient/v3/resource"

	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
)

// FuzzDecodeRoutePage feeds route pages to the decoder and what it accepts
// to Translate and a View: nothing may panic, and an accepted page holds
// only routes with a GUID.
func FuzzDecodeRoutePage(f *testing.F) {
	for _, seed := range []string{
		`{"pagination":{"next":null},"resources":[],"included":{"domains":[]}}`,
		`{"pagination":{"next":{"href":"x"}},"resources":[{"guid":"r","protocol":"http","host":"a","destinations":[{"app":{"guid":"x"},"weight":100}],"relationships":{"domain":{"data":{"guid":"d"}},"space":{"data":{"guid":"s"}}}}],"included":{"domains":[{"guid":"d","name":"Apps.Example.com"}]}}`,
		`{"pagination":{},"resources":[{"guid":"r","destinations":[{"app":{"guid":null},"port":-1}],"relationships":{"domain":{"data":null}}}],"included":{"domains":[null]}}`,
		`{"pagination":{},"resources":[{"guid":"r","host":"b","relationships":{"domain":{"data":{"guid":"d"}}}}],"included":{"domains":[{"guid":"d","name":"apps.identity","enforce_route_policies":true,"route_policies_scope":"space"}]}}`,
		`{"pagination":{},"resources":[],"included":{"domains":[{"guid":"d","enforce_route_policies":1}]}}`,
		`{"pagination":{},"resources":[null],"included":{}}`,
		`{"pagination":null,"resources":[],"included":{}}`,
		`{"resources":{},"included":[]}`,
		`[]`, `null`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		page, err := cloudcontroller.DecodeRoutePage(data)
		if err != nil {
			return
		}
		for _, r := range page.Routes {
			if r == nil || r.GUID == "" {
				t.Fatalf("accepted a route without a guid: %+v", r)
			}
		}
		if len(page.DomainPolicies) > len(page.Domains) {
			t.Fatalf("%d domain policies for %d domains", len(page.DomainPolicies), len(page.Domains))
		}
		var policies []*resource.RoutePolicy
		for _, r := range page.Routes {
			policies = append(policies, &resource.RoutePolicy{Source: r.Host, Relationships: resource.RoutePolicyRelationships{
				Route: &resource.ToOneRelationship{Data: &resource.Relationship{GUID: r.GUID}}}})
		}
		out, _ := cloudcontroller.Translate(cloudcontroller.Foundation{Routes: page.Routes, Domains: page.Domains,
			DomainPolicies: page.DomainPolicies, RoutePolicies: policies})
		for _, r := range out.Routes {
			if len(r.RoutePolicies) > 0 && !r.EnforceRoutePolicies {
				t.Fatalf("route %s carries callers without enforcing", r.GUID)
			}
		}
		v := cloudcontroller.NewView(cloudcontroller.Foundation{})
		v.Apply(cloudcontroller.Delta{Routes: page.Routes, Domains: page.Domains, DomainPolicies: page.DomainPolicies,
			PolicyRouteGUIDs: []string{"r"}, RoutePolicies: policies})
		_, _ = v.Unknown(page.Routes, nil)
		_, _ = v.UnknownCallers(policies, nil)
		_, _ = v.Translate()
	})
}

// FuzzAuditEvents decodes audit event lists as go-cfclient does and runs
// them through PlanRefresh and the EventCursor: nothing may panic, the plan
// is sorted and unique, fresh events come from the input, a repeated read
// yields no event with a GUID again, and the watermark never moves back.
func FuzzAuditEvents(f *testing.F) {
	for _, seed := range []string{
		`[{"guid":"e1","created_at":"2026-05-01T10:00:00Z","type":"audit.app.map-route","target":{"guid":"app"},"data":{"route_guid":"r1"}}]`,
		`[{"guid":"e1","created_at":"2026-05-01T10:00:00Z","type":"audit.route.delete-request","target":{"guid":"r1"}},{"guid":"e2","created_at":"2026-05-01T09:59:59Z","type":"audit.space.delete-request","target":{"guid":"s"}}]`,
		`[{"guid":"","type":"audit.app.unmap-route","target":{"guid":"a"},"data":null},null]`,
		`[{"guid":"e","type":"audit.app.map-route","target":{"guid":"a"},"data":{"route_guid":7}}]`,
		`[{"guid":"e","type":"audit.app.stop","target":{"guid":""},"data":"x"}]`,
		`[{"guid":"e","created_at":"0001-01-01T00:00:00Z","type":"audit.organization.delete-request","target":{"guid":"o"}}]`,
		`[{"guid":"e1","type":"audit.route_policy.create","target":{"guid":"p","type":"route_policy","name":"cf:any"},"data":{"request":{"source":"cf:any","route_guid":"r1"}}},{"guid":"e2","type":"audit.route_policy.delete","target":{"guid":"p"},"data":{}}]`,
		`[{"guid":"e","type":"audit.route_policy.create","target":{"guid":"p"},"data":{"request":[]}}]`,
		`[]`, `{}`, `[`,
	} {
		f.Add([]byte(seed), int64(5))
	}
	f.Fuzz(func(t *testing.T, data []byte, lookbackSeconds int64) {
		var events []*resource.AuditEvent
		if json.Unmarshal(data, &events) != nil {
			return
		}
		view := cloudcontroller.NewView(cloudcontroller.Foundation{
			Routes: []*resource.Route{{Resource: resource.Resource{GUID: "r1"}, Relationships: resource.RouteRelationships{
				Space: resource.ToOneRelationship{Data: &resource.Relationship{GUID: "s"}}}}},
		})
		plan, _ := cloudcontroller.PlanRefresh(events, view)
		for _, list := range [][]string{plan.RouteGUIDs, plan.AppGUIDs, plan.PolicyRouteGUIDs, plan.DeletedRoutePolicyGUIDs} {
			if !slices.IsSorted(list) || len(slices.Compact(slices.Clone(list))) != len(list) {
				t.Fatalf("plan not sorted and unique: %+v", plan)
			}
		}
		start := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		c := cloudcontroller.NewEventCursor(start, time.Duration(lookbackSeconds%3600)*time.Second)
		fresh, next := c.Advance(events)
		for _, e := range fresh {
			if !slices.Contains(events, e) {
				t.Fatalf("fresh event %+v not from the input", e)
			}
		}
		if next.Watermark().Before(c.Watermark()) {
			t.Fatalf("watermark moved back from %v to %v", c.Watermark(), next.Watermark())
		}
		again, _ := next.Advance(events)
		for _, e := range again {
			since, _ := next.Since()
			if e.GUID != "" && !e.CreatedAt.Before(since) {
				t.Fatalf("event %s returned twice", e.GUID)
			}
		}
		before, _ := next.Since()
		skipped := next.SkipTo(start.Add(time.Duration(lookbackSeconds%7200-3600) * time.Second))
		if after, ok := skipped.Since(); !ok || after.Before(before) || skipped.Watermark().Before(next.Watermark()) {
			t.Fatalf("SkipTo moved reads back from %v to %v", before, after)
		}
	})
}
