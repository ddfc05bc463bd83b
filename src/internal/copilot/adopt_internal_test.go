package copilot

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/meshconfig"
	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// instanceFoundation is a random small foundation: apps on internal and
// external routes, some enforcing route policies, with network policies,
// and the NATS registrations of their instances, per-instance hosts
// included.
type instanceFoundation struct {
	rng       *rand.Rand
	desired   source.DesiredRoutes
	endpoints source.Endpoints
	policies  routingtable.Policies
}

const instanceApps = 4

func newInstanceFoundation(seed uint64) *instanceFoundation {
	f := &instanceFoundation{rng: rand.New(rand.NewPCG(seed, 3))}
	ports := []uint32{8080, 9090}
	for a := range instanceApps {
		app := fmt.Sprint("app-", a)
		dest := source.DesiredDestination{AppGUID: app, ProcessGUID: app + "-web", Port: ports[f.rng.IntN(2)]}
		if f.rng.IntN(5) > 0 {
			f.desired.Routes = append(f.desired.Routes, source.DesiredRoute{Host: app + ".apps.internal", Internal: true, Destinations: []source.DesiredDestination{dest}})
		}
		if f.rng.IntN(2) == 0 {
			route := source.DesiredRoute{Host: app + ".example.com", Destinations: []source.DesiredDestination{{AppGUID: app, ProcessGUID: app + "-web", Port: ports[f.rng.IntN(2)]}}}
			if f.rng.IntN(3) == 0 {
				route.EnforceRoutePolicies = true
				route.RoutePolicies = []source.Caller{{Kind: source.CallerAny}}
			}
			f.desired.Routes = append(f.desired.Routes, route)
		}
		for i := range f.rng.IntN(3) {
			f.endpoints = append(f.endpoints, f.instance(a, i)...)
		}
	}
	for range f.rng.IntN(3) {
		f.policies.Network = append(f.policies.Network, source.NetworkPolicy{SourceAppGUID: fmt.Sprint("app-", f.rng.IntN(instanceApps)),
			DestinationAppGUID: fmt.Sprint("app-", f.rng.IntN(instanceApps)), Protocol: "tcp", StartPort: 8000, EndPort: uint32(8000 + 1000*f.rng.IntN(3))})
	}
	f.policies.Unknown = f.rng.IntN(5) == 0
	return f
}

// instance is what service discovery registers for instance i of app a:
// the internal route and its per-instance host.
func (f *instanceFoundation) instance(a, i int) source.Endpoints {
	app := fmt.Sprint("app-", a)
	e := source.Endpoint{Address: fmt.Sprintf("10.255.%d.%d", a, i), AppGUID: app, ProcessGUID: app + "-web",
		InstanceID: fmt.Sprintf("%s-instance-%d", app, i), InstanceIndex: fmt.Sprint(i), Internal: true}
	parent, own := e, e
	parent.URI, own.URI = app+".apps.internal", fmt.Sprintf("%d.%s.apps.internal", i, app)
	return source.Endpoints{parent, own}
}

// nonHostObjects are the keys and versions of the objects of cfg that are
// not one of hosts' own.
func nonHostObjects(cfg mesh.Config, hosts []string) []string {
	var out []string
	for _, info := range mesh.Kinds() {
		for _, r := range cfg.Of(info.Kind) {
			if !slices.ContainsFunc(hosts, func(h string) bool { return strings.HasSuffix(r.Name, "-for-"+h) }) {
				out = append(out, r.Key()+"@"+r.Version)
			}
		}
	}
	return out
}

var _ = Describe("adopting an internal instance's per-instance host coming or going (ADR 20, third amendment)", func() {
	It("adopts only changes that leave every object but the changed hosts' own as a full build compiles them", func() {
		opts := meshconfig.Options{ContainerNetwork: "10.255.0.0/16",
			FrontendCertificates: []meshconfig.FrontendCertificate{{Name: "example", Hosts: []string{"*.example.com"}}}}
		adopted, built, differed := 0, 0, 0
		for seed := range uint64(400) {
			f := newInstanceFoundation(seed)
			a, i := f.rng.IntN(instanceApps), 2+f.rng.IntN(2)
			started := f.instance(a, i)
			before, after := f.endpoints, append(slices.Clone(f.endpoints), started...)
			if f.rng.IntN(2) == 0 { // the instance stops instead
				before, after = after, before
			}
			hosts := []string{started[0].URI, started[1].URI}
			old := routingtable.Build(f.desired, before, f.policies)
			changed := routingtable.Build(f.desired, after, f.policies)
			var routes []routingtable.Route
			for _, r := range changed.Routes {
				if slices.Contains(hosts, r.Host) {
					routes = append(routes, r)
				}
			}
			oldCfg, errs := meshconfig.Compile(old, opts)
			Expect(errs).To(BeEmpty())
			newCfg, errs := meshconfig.Compile(changed, opts)
			Expect(errs).To(BeEmpty())
			same := slices.Equal(nonHostObjects(oldCfg, hosts), nonHostObjects(newCfg, hosts))
			if adoptable(old.Routes, hosts, routes) {
				adopted++
				Expect(same).To(BeTrue(), "seed %d: adopted, yet a full build changes more than %v", seed, hosts)
				continue
			}
			built++
			if !same {
				differed++
			}
		}
		Expect(adopted).To(BeNumerically(">", 100), "most instances are adopted")
		Expect(built).To(BeNumerically(">", 50), "an app enforcing route policies, or without another route on the port, is built")
		Expect(differed).To(BeNumerically(">", 10), "and some of those builds do change an authorization policy")
	})

	It("adopts neither a per-instance host that changed its routes, nor another host that came", func() {
		route := routingtable.Route{Host: "0.app-0.apps.internal", Internal: true, Origin: routingtable.OriginNATS,
			Destinations: []routingtable.Destination{{Key: "app-0-web", AppGUID: "app-0", Port: 8080}}}
		parent := route
		parent.Host, parent.Origin = "app-0.apps.internal", routingtable.OriginCloudController
		table := []routingtable.Route{route, parent} // sorted by host
		moved := route
		moved.Destinations = []routingtable.Destination{{Key: "app-0-web", AppGUID: "app-0", Port: 9090}}
		Expect(adoptable(table, []string{route.Host}, []routingtable.Route{moved})).To(BeFalse(), "came and went at once")
		Expect(adoptable(table[1:], []string{route.Host}, []routingtable.Route{route})).To(BeTrue())
		otherApp := parent
		otherApp.Host, otherApp.Destinations = "app-1.apps.internal", []routingtable.Destination{{Key: "app-1-web", AppGUID: "app-1", Port: 8080}}
		reassigned := route
		reassigned.Destinations = otherApp.Destinations
		Expect(adoptable(append(slices.Clone(table), otherApp), []string{route.Host}, []routingtable.Route{reassigned})).To(BeFalse(),
			"its app changed: each app still serves the port elsewhere, but it is not the same host coming or going")
		Expect(adoptable(table[:1], []string{route.Host}, nil)).To(BeFalse(), "the app served the port on this host alone")

		other := route
		other.Host = "worker.apps.internal"
		Expect(adoptable(table, []string{other.Host}, []routingtable.Route{other})).To(BeFalse(), "not a per-instance host")
		fromCC := route
		fromCC.Origin = routingtable.OriginCloudController
		Expect(adoptable(table[1:], []string{route.Host}, []routingtable.Route{fromCC})).To(BeFalse(), "a Cloud Controller route")
	})
})
