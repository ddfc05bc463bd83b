package routeregistry_test

import (
	"fmt"
	"math/rand/v2"
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
	It("matches a fresh sort after any sequence of registrations, port changes, instance changes, unregistrations and prunes, and names every URI whose endpoints changed", func() {
		rng := rand.New(rand.NewPCG(8, 21))
		now := time.Unix(1_700_000_000, 0)
		randomOp := func() tableOp {
			host := fmt.Sprintf("10.0.0.%d", rng.IntN(5))
			uri := fmt.Sprintf("app-%d.example.com", rng.IntN(4))
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

		incremental := routeregistry.NewTable()
		var ops []tableOp
		var previous source.Endpoints
		for step := range 600 {
			op := randomOp()
			ops = append(ops, op)
			at := now.Add(time.Duration(step) * time.Second)
			op(incremental, at)
			got := incremental.EndpointsWithoutTags()
			changed, known := incremental.RoutingChanges()
			Expect(known).To(Equal(step > 0), "only the first snapshot has none before it")
			if known {
				Expect(changed).To(ContainElements(changedURIs(previous, got)), "after %d changes", step+1)
			}
			previous = got
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
