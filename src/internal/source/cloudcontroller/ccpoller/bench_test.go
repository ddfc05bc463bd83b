package ccpoller_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	ccstandin "code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller/ccpoller"
)

// Foundation size of the benchmark: routes, and apps with two processes
// each (web and worker).
const (
	benchRoutes = 10000
	benchApps   = 10000
	benchSpaces = 100
)

// latest keeps the last published routes and wakes one waiter per publish.
type latest struct {
	mu     sync.Mutex
	routes source.DesiredRoutes
	at     time.Time
	wake   chan struct{}
}

func (l *latest) publish(r source.DesiredRoutes) {
	l.mu.Lock()
	l.routes, l.at = r, time.Now()
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// waitFor waits until the published routes satisfy ok and returns when
// they were published.
func (l *latest) waitFor(b *testing.B, what string, ok func(source.DesiredRoutes) bool) time.Time {
	deadline := time.After(30 * time.Second)
	for {
		l.mu.Lock()
		routes, at := l.routes, l.at
		l.mu.Unlock()
		if ok(routes) {
			return at
		}
		select {
		case <-l.wake:
		case <-deadline:
			b.Fatalf("not published within 30s: %s", what)
		}
	}
}

func findRoute(routes source.DesiredRoutes, host string) (source.DesiredRoute, bool) {
	i, found := slices.BinarySearchFunc(routes.Routes, host, func(r source.DesiredRoute, h string) int {
		switch {
		case r.Host < h:
			return -1
		case r.Host > h:
			return 1
		}
		return 0
	})
	if !found {
		return source.DesiredRoute{}, false
	}
	return routes.Routes[i], true
}

// benchFoundation is the seeded stand-in.
type benchFoundation struct {
	cc     *ccstandin.CloudController
	domain string
	apps   []string
	routes []string
	// policies makes every change a route policy created or deleted, on a
	// domain that enforces route policies.
	policies bool
	// created is the route policy the last change created, and its route.
	created *struct{ guid, route string }
}

func seedBench(b *testing.B, policies bool) benchFoundation {
	cc := ccstandin.New(ccstandin.Options{})
	f := benchFoundation{cc: cc, policies: policies, created: &struct{ guid, route string }{}}
	if policies {
		domain, err := cc.AddEnforcingDomain("apps.example.com", ccstandin.ScopeAny)
		if err != nil {
			b.Fatal(err)
		}
		f.domain = domain
	} else {
		f.domain = cc.AddDomain("apps.example.com", false)
	}
	var spaces []string
	for i := range benchSpaces {
		org := cc.AddOrganization(fmt.Sprintf("org-%d", i/10))
		spaces = append(spaces, cc.AddSpace(fmt.Sprintf("space-%d", i), org))
	}
	for i := range benchApps {
		app := cc.AddApp(fmt.Sprintf("app-%05d", i), ccstandin.InSpace(spaces[i%benchSpaces]))
		cc.AddProcess(app, "web")
		cc.AddProcess(app, "worker")
		f.apps = append(f.apps, app)
	}
	for i := range benchRoutes {
		r := cc.AddRoute(fmt.Sprintf("r%05d", i), f.domain, "", ccstandin.InSpace(spaces[i%benchSpaces]))
		if err := cc.ReplaceDestinations(r, []ccstandin.Destination{{AppGUID: f.apps[i%benchApps]}}); err != nil {
			b.Fatal(err)
		}
		f.routes = append(f.routes, r)
	}
	return f
}

func host(i int) string { return fmt.Sprintf("r%05d.apps.example.com", i) }

// benchChange makes the i-th change, cycling through the kinds of change,
// and returns a check for its effect.
func (f benchFoundation) change(b *testing.B, i int) (string, func(source.DesiredRoutes) bool) {
	k := (i * 7919) % benchRoutes // a different route each time
	r, h := f.routes[k], host(k)
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	if f.policies {
		return f.policyChange(b, i, k)
	}
	switch i % 6 {
	case 0:
		w := 10 + i%80
		must(f.cc.ReplaceDestinations(r, []ccstandin.Destination{
			{AppGUID: f.apps[k], Weight: &w}, {AppGUID: f.apps[(k+1)%benchApps], Weight: ptr(100 - w)},
		}))
		return "weights", func(d source.DesiredRoutes) bool {
			route, ok := findRoute(d, h)
			return ok && len(route.Destinations) == 2 && *route.Destinations[0].Weight == int32(w)
		}
	case 1:
		must(f.cc.InsertDestinations(r, []ccstandin.Destination{{AppGUID: f.apps[(k+2)%benchApps], ProcessType: "worker"}}))
		return "map", func(d source.DesiredRoutes) bool {
			route, ok := findRoute(d, h)
			return ok && len(route.Destinations) == 2
		}
	case 2:
		must(f.cc.SetAppState(f.apps[k], ccstandin.AppStopped))
		return "app-stop", func(d source.DesiredRoutes) bool {
			route, ok := findRoute(d, h)
			return ok && len(route.Destinations) == 0
		}
	case 3:
		created := fmt.Sprintf("new-%05d", i)
		f.cc.AddRoute(created, f.domain, "")
		return "route-create", func(d source.DesiredRoutes) bool {
			_, ok := findRoute(d, created+".apps.example.com")
			return ok
		}
	case 4:
		f.cc.DeleteRoute(r)
		return "route-delete", func(d source.DesiredRoutes) bool {
			_, ok := findRoute(d, h)
			return !ok
		}
	default:
		lb := []string{"least-connection", "hash"}[i%2]
		must(f.cc.SetRouteOptions(r, lb))
		return "options", func(d source.DesiredRoutes) bool {
			route, ok := findRoute(d, h)
			return ok && route.LoadBalancing == lb
		}
	}
}

// policyChange creates a route policy on the k-th route (even i), or
// deletes the one created before (odd i).
func (f benchFoundation) policyChange(b *testing.B, i, k int) (string, func(source.DesiredRoutes) bool) {
	if i%2 == 1 && f.created.guid != "" {
		if err := f.cc.DeleteRoutePolicy(f.created.guid); err != nil {
			b.Fatal(err)
		}
		h := f.created.route
		f.created.guid = ""
		return "policy-delete", func(d source.DesiredRoutes) bool {
			route, ok := findRoute(d, h)
			return ok && len(route.RoutePolicies) == 0
		}
	}
	caller := f.apps[(k+1)%benchApps]
	guid, err := f.cc.AddRoutePolicy(f.routes[k], "cf:app:"+caller)
	if err != nil {
		b.Fatal(err)
	}
	f.created.guid, f.created.route = guid, host(k)
	h := host(k)
	return "policy-create", func(d source.DesiredRoutes) bool {
		route, ok := findRoute(d, h)
		return ok && len(route.RoutePolicies) == 1 && route.RoutePolicies[0].GUID == caller
	}
}

func (f benchFoundation) requests(paths ...string) int {
	n := 0
	for _, p := range paths {
		n += f.cc.Requests(p)
	}
	return n
}

var readPaths = []string{"/v3/routes", "/v3/apps", "/v3/processes", "/v3/spaces", "/v3/domains", "/v3/route_policies", "/oauth/token", "/"}

// BenchmarkChangeToPublish measures, on loopback against the stand-in with
// 10k routes and 20k processes, how long a Cloud Controller change takes to
// reach the published routes, and how many requests the poller sends. Each
// iteration is one change, made at a random moment within the event poll
// interval. Sub-benchmarks: the default intervals (events every 1s, full
// sync every 5m), and full syncs every 5s, so that many changes land while
// a full sync is listing; route-policies makes every change a route policy
// created or deleted (default intervals). Run it with a fixed count, e.g.
// -benchtime=150x.
func BenchmarkChangeToPublish(b *testing.B) {
	b.Run("full-sync-5m", func(b *testing.B) { benchChanges(b, 0, false) })
	b.Run("full-sync-5s", func(b *testing.B) { benchChanges(b, 5*time.Second, false) })
	b.Run("route-policies", func(b *testing.B) { benchChanges(b, 0, true) })
}

func benchChanges(b *testing.B, fullSync time.Duration, policies bool) {
	f := seedBench(b, policies)
	server := httptest.NewServer(f.cc)
	defer server.Close()
	f.cc.SetBaseURL(server.URL)
	id, secret := f.cc.ClientCredentials()
	out := &latest{wake: make(chan struct{}, 1)}
	reg := prometheus.NewRegistry()
	cfg := ccpoller.Config{APIURL: server.URL, ClientID: id, ClientSecret: secret, FullSyncInterval: jsonduration.Duration(fullSync)}
	p, err := ccpoller.New(cfg, lager.NewLogger("bench"), reg, out.publish)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() { cancel(); <-done }()

	started := time.Now()
	out.waitFor(b, "the first full sync", func(d source.DesiredRoutes) bool { return len(d.Routes) == benchRoutes })
	firstSync := time.Since(started)
	// Seeding was a burst of 60k events, more than one read may take: the
	// first poll skips it and asks for one more full sync. Let that pass.
	for deadline := time.Now().Add(30 * time.Second); fullSyncs(b, reg) < 2 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)

	idle := 10 * time.Second
	eventsBefore, readsBefore := f.requests("/v3/audit_events"), f.requests(readPaths...)
	time.Sleep(idle)

	idleRate := float64(f.requests("/v3/audit_events")-eventsBefore+f.requests(readPaths...)-readsBefore) / idle.Seconds()

	latencies := make([]time.Duration, 0, b.N)
	readsBefore = f.requests(readPaths...)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		time.Sleep(rand.N(time.Second))
		b.StartTimer()
		what, ok := f.change(b, i)
		changed := time.Now()
		published := out.waitFor(b, what, ok)
		latencies = append(latencies, published.Sub(changed))
	}
	b.StopTimer()
	b.ReportMetric(firstSync.Seconds(), "first-sync-s")
	b.ReportMetric(idleRate, "idle-req/s")
	b.ReportMetric(float64(f.requests(readPaths...)-readsBefore)/float64(b.N), "reads/change")
	slices.Sort(latencies)
	pct := func(q float64) float64 {
		return latencies[min(len(latencies)-1, int(q*float64(len(latencies))))].Seconds() * 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(latencies[len(latencies)-1].Seconds()*1000, "max-ms")
	b.ReportMetric(fullSyncs(b, reg), "full-syncs")
}

// fullSyncs reads cfmesh_copilot_cc_syncs_total{result="success"}.
func fullSyncs(b *testing.B, reg *prometheus.Registry) float64 {
	families, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "cfmesh_copilot_cc_syncs_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == "success" {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
