package routingtable_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// randomFoundation is desired routes and sorted endpoints over a few hosts
// whose names prefix each other (`a`, `a.b`, `0.a`, `a/path`), so a host's
// URIs sit among other hosts' in the sorted endpoints.
func randomFoundation(rng *rand.Rand) (source.DesiredRoutes, source.Endpoints, []string) {
	hosts := []string{"a.apps.internal", "0.a.apps.internal", "1.a.apps.internal", "a.apps.internal.b", "shop.example.com", "shop.example.com.au"}
	apps := []string{"app-a", "app-b"}
	var desired source.DesiredRoutes
	for i, h := range hosts {
		if rng.IntN(3) == 0 {
			continue
		}
		d := source.DesiredRoute{GUID: fmt.Sprint("route-", i), Host: h, Internal: rng.IntN(2) == 0}
		if rng.IntN(4) == 0 {
			d.Path = "/api"
		}
		for _, app := range apps[:1+rng.IntN(2)] {
			d.Destinations = append(d.Destinations, source.DesiredDestination{AppGUID: app, Port: uint32(8080 + rng.IntN(2)), Weight: weight(int32(1 + rng.IntN(3)))})
		}
		desired.Routes = append(desired.Routes, d)
	}
	var endpoints source.Endpoints
	for i := range rng.IntN(30) {
		uri := hosts[rng.IntN(len(hosts))]
		if rng.IntN(4) == 0 {
			uri += []string{"/api", "/other"}[rng.IntN(2)]
		}
		e := endpoint(uri, fmt.Sprint("10.0.0.", i%7), uint32(61000+rng.IntN(3)), apps[rng.IntN(2)], "", "")
		if rng.IntN(3) == 0 {
			e.Internal, e.Port = true, 0
		}
		endpoints = append(endpoints, e)
	}
	slices.SortStableFunc(endpoints, func(a, b source.Endpoint) int {
		return cmp.Or(strings.Compare(a.URI, b.URI), strings.Compare(a.Address, b.Address), cmp.Compare(a.Port, b.Port), cmp.Compare(a.TLSPort, b.TLSPort))
	})
	return desired, endpoints, hosts
}

var _ = Describe("BuildHosts", func() {
	It("gives the routes Build gives those hosts, whatever the foundation around them", func() {
		rng := rand.New(rand.NewPCG(1, 20))
		for round := range 500 {
			desired, endpoints, hosts := randomFoundation(rng)
			full := routingtable.Build(desired, endpoints, routingtable.Policies{})
			some := slices.DeleteFunc(slices.Clone(hosts), func(string) bool { return rng.IntN(2) == 0 })
			want := slices.DeleteFunc(slices.Clone(full.Routes), func(r routingtable.Route) bool { return !slices.Contains(some, r.Host) })

			got := routingtable.BuildHosts(desired, endpoints, some)

			Expect(got).To(HaveLen(len(want)), "round %d, hosts %v", round, some)
			for i := range want {
				Expect(got[i].Equal(want[i])).To(BeTrue(), "round %d, hosts %v: %+v\nwant %+v", round, some, got[i], want[i])
			}
		}
	})

	It("serves a per-instance host on its parent route's port", func() {
		desired := source.DesiredRoutes{Routes: []source.DesiredRoute{{Host: "backend.apps.internal", Internal: true,
			Destinations: []source.DesiredDestination{{AppGUID: "app-backend", Port: 9090}}}}}
		e := endpoint("3.backend.apps.internal", "10.255.0.3", 0, "app-backend", "", "")
		e.Internal = true

		got := routingtable.BuildHosts(desired, source.Endpoints{e}, []string{"3.backend.apps.internal"})

		Expect(got).To(HaveLen(1))
		Expect(got[0].Destinations[0].Port).To(BeEquivalentTo(9090))
		Expect(got[0].Destinations[0].Endpoints[0].Port).To(BeEquivalentTo(9090))
	})
})
