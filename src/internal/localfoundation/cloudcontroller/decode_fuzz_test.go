package cloudcontroller

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// FuzzDecodeDestinations feeds destination request bodies to the decoder:
// it must never panic, and whatever it accepts must meet Cloud Controller's
// rules.
func FuzzDecodeDestinations(f *testing.F) {
	for _, seed := range []string{
		`{"destinations": []}`,
		`{"destinations": [{"app": {"guid": "a"}}]}`,
		`{"destinations": [{"app": {"guid": "a", "process": {"type": "web"}}, "weight": 80, "port": 8080, "protocol": "http2"}, {"app": {"guid": "b"}, "weight": 20}]}`,
		`{"destinations": [{"app": {"guid": "a"}, "weight": 50.5}]}`,
		`{"destinations": [{"app": {"guid": "a"}, "weight": 1e300}]}`,
		`{"destinations": [{"app": {"guid": "a"}, "port": -1}]}`,
		`{"destinations": [{"app": {"guid": "a", "process": {"type": "web", "x": 1}}}]}`,
		`{"destinations": [null, 1, "x", {}]}`,
		`{"destinations": null}`,
		`{"destinations": {}, "x": 1}`,
		`null`,
		`[]`,
		`{`,
	} {
		f.Add([]byte(seed), true)
		f.Add([]byte(seed), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, replace bool) {
		inputs, apiErr := decodeDestinations(body, replace)
		if apiErr != nil {
			if apiErr.Detail == "" || apiErr.Status == 0 {
				t.Fatalf("error without status or detail: %+v", apiErr)
			}
			return
		}
		if problems := checkInputs(inputs, replace); len(problems) > 0 {
			t.Fatalf("accepted inputs that break the rules: %v", problems)
		}
		for _, in := range inputs {
			if in.appGUID == "" {
				t.Fatalf("accepted a destination without an app guid: %+v", in)
			}
			if in.weight != nil && !replace {
				t.Fatalf("accepted a weighted insert: %+v", in)
			}
		}
	})
}

// FuzzListQuery feeds list queries to the parser every list endpoint
// uses: it must never panic, must refuse with a status and detail, and what
// it accepts must be within Cloud Controller's limits and filter without
// panicking.
func FuzzListQuery(f *testing.F) {
	for _, seed := range []string{
		"",
		"page=2&per_page=5000&order_by=-created_at",
		"types=audit.app.map-route,audit.route.create&created_ats[gte]=2026-01-01T00:00:00Z",
		"created_ats[lt]=2026-01-01T00:00:00Z&updated_ats=2026-01-01T00:00:00Z,2026-01-02T00:00:00Z",
		"target_guids[not]=a,b&guids=c",
		"created_ats[gte]=2026-01-01T00:00:00+01:00",
		"created_ats[between]=x",
		"per_page=0", "page=-1", "order_by=+-created_at", "include=domain", "include=space",
		"guids[gt]=x", "%zz", "a=1&a=2",
	} {
		f.Add(seed)
	}
	specs := []listSpec{routeListSpec, processListSpec, appListSpec, spaceListSpec, organizationListSpec, domainListSpec, eventListSpec}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		for _, spec := range specs {
			req, apiErr := spec.parse(q)
			if apiErr != nil {
				if apiErr.Status != http.StatusBadRequest || apiErr.Detail == "" {
					t.Fatalf("refusal without 400 and detail: %+v", apiErr)
				}
				continue
			}
			if req.page < 1 || req.perPage < 1 || req.perPage > maxPerPage {
				t.Fatalf("accepted page %d per_page %d", req.page, req.perPage)
			}
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			_ = selectAll(req, []int{1, 2, 3}, func(i int) attrs {
				return attrs{createdAt: now.Add(time.Duration(i) * time.Second), updatedAt: now, values: single("guids", "g")}
			})
			_, _, _ = req.window("http://x", "/v3/x", 7)
		}
	})
}
