package routeregistry_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
)

// tableOp is one registration change, replayable on any table.
type tableOp func(t *routeregistry.Table, now time.Time)

var _ = Describe("Endpoints order kept between snapshots", func() {
	// A table that snapshots after every change (merging what changed into
	// its previous order) must agree with a table that replays the same
	// changes and sorts once.
	It("matches a fresh sort after any sequence of registrations, port changes, instance changes, unregistrations and prunes; names every host whose endpoints changed, and finds a host's endpoints alone", func() {
		rng := rand.New(rand.NewPCG(8, 21))
		now := time.Unix(1_700_000_000, 0)
		randomOp := func() tableOp {
			host := fmt.Sprintf("10.0.0.%d", rng.IntN(5))
			// A path, and a host that sorts between a host and its paths.
			uri := []string{"app-0.example.com", "app-1.example.com", "app-2.example.com", "app-3.example.com",
				"app-1.example.com/api", "app-1.example.com.eu"}[rng.IntN(6)]
			port, tlsPort := uint16(61000+rng.IntN(3)), uint16(0)
			if rng.IntN(2) == 0 {
				tlsPort = uint16(61100 + rng.IntN(2))
			}
			reg := routeregistry.Registration{Host: host, Port: port, TLSPort: tlsPort, URIs: []string{uri},
				App: "app", PrivateInstanceID: "inst-" + host}
			internal := routeregistry.InternalRegistration{Host: host, URIs: []string{"app-1.apps.internal", "0.app-1.apps.internal"},
				App: "app", PrivateInstanceIndex: "0"}
			switch rng.IntN(8) {
			case 6:
				// Another instance takes the address and port: a new entry
				// at the same place in the order.
				moved := reg
				moved.PrivateInstanceID, moved.PrivateInstanceIndex = "moved-"+host, "7"
				return func(t *routeregistry.Table, now time.Time) { t.Register(moved, now) }
			case 7:
				reindexed := internal
				reindexed.PrivateInstanceIndex = fmt.Sprint(rng.IntN(3))
				return func(t *routeregistry.Table, now time.Time) { t.RegisterInternal(reindexed, now) }
			case 0:
				return func(t *routeregistry.Table, _ time.Time) { t.Unregister(reg) }
			case 1:
				return func(t *routeregistry.Table, now time.Time) { t.RegisterInternal(internal, now) }
			case 2:
				return func(t *routeregistry.Table, _ time.Time) { t.UnregisterInternal(internal) }
			case 3:
				return func(t *routeregistry.Table, now time.Time) {
					t.Prune(now, routeregistry.PruneThresholds{Router: 90 * time.Second})
				}
			}
			return func(t *routeregistry.Table, now time.Time) { t.Register(reg, now) }
		}

		hosts := []string{"0.app-1.apps.internal", "app-0.example.com", "app-1.apps.internal", "app-1.example.com",
			"app-1.example.com.eu", "app-2.example.com", "app-3.example.com", "unregistered.example.com"}
		// incremental snapshots now and then, so the hosts' endpoints are
		// found through its last order and the keys touched since;
		// reference after every change.
		incremental, reference := routeregistry.NewTable(), routeregistry.NewTable()
		var ops []tableOp
		var previous source.Endpoints
		for step := range 600 {
			op := randomOp()
			ops = append(ops, op)
			at := now.Add(time.Duration(step) * time.Second)
			op(incremental, at)
			op(reference, at)
			want := reference.EndpointsWithoutTags()
			Expect(incremental.TakeChangedHosts()).To(ContainElements(hostsOf(changedURIs(previous, want))), "after %d changes", step+1)
			previous = want
			Expect(incremental.RoutingEndpointsOfHosts(hosts)).To(Equal(want), "after %d changes", step+1)
			Expect(incremental.RoutingEndpointsOfHosts([]string{"app-1.example.com"})).To(Equal(ofHost(want, "app-1.example.com")))
			if step%3 != 0 {
				continue
			}
			got := incremental.EndpointsWithoutTags()
			Expect(got).To(Equal(want))
			if step%5 != 0 {
				continue
			}
			fresh := routeregistry.NewTable()
			for i, replay := range ops {
				replay(fresh, now.Add(time.Duration(i)*time.Second))
			}
			Expect(got).To(Equal(fresh.EndpointsWithoutTags()), "after %d changes", step+1)
			Expect(incremental.Endpoints()).To(Equal(fresh.Endpoints()))
		}
	})
})

func hostsOf(uris []string) []string {
	var hosts []string
	for _, uri := range uris {
		host, _, _ := strings.Cut(uri, "/")
		hosts = append(hosts, host)
	}
	return hosts
}

// ofHost are the endpoints of host's URIs.
func ofHost(endpoints source.Endpoints, host string) source.Endpoints {
	var out source.Endpoints
	for _, e := range endpoints {
		if e.URI == host || strings.HasPrefix(e.URI, host+"/") {
			out = append(out, e)
		}
	}
	return out
}

// changedURIs are the URIs whose endpoints differ between two snapshots.
func changedURIs(before, after source.Endpoints) []string {
	group := func(endpoints source.Endpoints) map[string]string {
		out := map[string]string{}
		for _, e := range endpoints {
			out[e.URI] += fmt.Sprintf("%+v;", e)
		}
		return out
	}
	b, a := group(before), group(after)
	var out []string
	for uri, endpoints := range a {
		if b[uri] != endpoints {
			out = append(out, uri)
		}
	}
	for uri := range b {
		if _, ok := a[uri]; !ok {
			out = append(out, uri)
		}
	}
	return out
}
