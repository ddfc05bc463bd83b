package meshctl_test

import (
	"strings"
	"testing"

	"code.cloudfoundry.org/cf-mesh/internal/meshctl"
)

// FuzzParseWeightArg: whatever a user types as APP=WEIGHT is either
// refused with an error or read into a weight Cloud Controller's range
// allows (0 meaning unmap) and an app selector that round-trips.
func FuzzParseWeightArg(f *testing.F) {
	for _, seed := range []string{
		"checkout-v1=90", "checkout:worker=10", "a=b=100", "old=0", "=50", "a=", "a=101", "a=-1", "a=1e2",
		"a=007", "a= 5", "app:=5", ":web=5", "5d3b8a2e-0c4f-4b5e-9f1a-7e2d6c8b9a01=100", "ünïcode=50", "a=50%",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		a, err := meshctl.ParseWeightArg(arg)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: empty error", arg)
			}
			return
		}
		if a.Weight < 0 || a.Weight > meshctl.MaxWeight {
			t.Fatalf("%q: weight %d outside 0..100", arg, a.Weight)
		}
		if a.Selector == "" || !strings.HasPrefix(arg, a.Selector+"=") {
			t.Fatalf("%q: selector %q is not what precedes the last =", arg, a.Selector)
		}
		if a.ProcessType != "" && a.App+":"+a.ProcessType != a.Selector {
			t.Fatalf("%q: app %q and process type %q do not make selector %q", arg, a.App, a.ProcessType, a.Selector)
		}
	})
}

// FuzzParseRouteRef: a route as typed is refused or becomes a lower-case
// host name with a dot and a path that is empty or starts with one slash.
func FuzzParseRouteRef(f *testing.F) {
	for _, seed := range []string{
		"checkout.apps.example.com/v2", "https://Apps.Example.com/", "apps.example.com", "checkout", "tcp.example.com:1024",
		"a.b/c/d/", ".example.com", "example.com.", "a.b/x?y=1", "http://", "*.apps.example.com", "a.b//", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := meshctl.ParseRouteRef(s)
		if err != nil {
			return
		}
		if r.Name != strings.ToLower(r.Name) || !strings.Contains(r.Name, ".") || strings.ContainsAny(r.Name, "/:") {
			t.Fatalf("%q: bad host name %q", s, r.Name)
		}
		if r.Path != "" && (!strings.HasPrefix(r.Path, "/") || strings.HasSuffix(r.Path, "/")) {
			t.Fatalf("%q: bad path %q", s, r.Path)
		}
		again, err := meshctl.ParseRouteRef(r.URL())
		if err != nil || again != r {
			t.Fatalf("%q: %q does not read back (%v, %v)", s, r.URL(), again, err)
		}
	})
}
