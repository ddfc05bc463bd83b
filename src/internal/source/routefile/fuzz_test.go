package routefile_test

import (
	"cmp"
	"slices"
	"strings"
	"testing"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/source/routefile"
)

// FuzzParse checks that Parse never panics and that whatever it accepts
// keeps the promises routing relies on.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		fullFile,
		"",
		"routes: []",
		"routes:\n- host: a.example.com\n  destinations:\n  - {app_guid: a, weight: 60}\n  - {app_guid: b, weight: 40}\n",
		"routes:\n- host: a.example.com\n  destinations:\n  - {app_guid: a, weight: 60}\n",
		"routes:\n- host: '*.Example.COM'\n  path: /x\n",
		"routes:\n- host: a\n  path: /x/\n",
		"routes:\n- {host: a, port: 1}\n",
		"routes:\n-\n- host: b\n",
		"routes: {a: b}",
		"- 1\n- 2",
		"routes: [\n",
		"routes:\n- host: a\n  destinations:\n  - {app_guid: a, weight: 9223372036854775807}\n  - {app_guid: b, weight: 9223372036854775807}\n",
		`{"routes":[{"host":"a.b","destinations":[{"app_guid":"x","port":8080.5}]}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		routes, err := routefile.Parse(data)
		if err != nil {
			if len(routes.Routes) != 0 {
				t.Fatalf("Parse returned routes with an error: %v", err)
			}
			return
		}
		checkInvariants(t, routes)
	})
}

func checkInvariants(t *testing.T, routes source.DesiredRoutes) {
	t.Helper()
	if !slices.IsSortedFunc(routes.Routes, func(a, b source.DesiredRoute) int {
		return cmp.Or(cmp.Compare(a.Host, b.Host), cmp.Compare(a.Path, b.Path))
	}) {
		t.Fatalf("routes are not sorted: %+v", routes.Routes)
	}
	seen := map[string]bool{}
	for _, r := range routes.Routes {
		if r.Host == "" || r.Host != strings.ToLower(r.Host) {
			t.Fatalf("bad host %q", r.Host)
		}
		if seen[r.URI()] {
			t.Fatalf("duplicate route %q", r.URI())
		}
		seen[r.URI()] = true
		weights := make([]*int, len(r.Destinations))
		for i, d := range r.Destinations {
			if d.AppGUID == "" || d.ProcessType == "" || d.Port == 0 || d.Protocol == "" {
				t.Fatalf("destination without defaults: %+v", d)
			}
			if d.Weight != nil {
				w := int(*d.Weight)
				weights[i] = &w
			}
		}
		if err := cloudcontroller.ValidateWeights(weights); err != nil {
			t.Fatalf("accepted bad weights on %q: %v", r.URI(), err)
		}
	}
}
