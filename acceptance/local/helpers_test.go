package local_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cloudfoundry/go-cfclient/v3/resource"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/adsprobe"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/proxyless"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

// Bounds for waiting on the foundation. Config changes arrive in about a
// second; the bounds leave room for a loaded CI machine.
const (
	convergeTimeout = 30 * time.Second
	pollInterval    = 200 * time.Millisecond
	// splitTolerance is how far, in percentage points, an observed share
	// may be from its weight over splitCalls calls.
	splitTolerance = 5.0
	splitCalls     = 1000
)

var names atomic.Int64

// unique makes app and host names no other scenario uses.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, names.Add(1))
}

// push pushes an app with instances, failing the spec on error.
func push(prefix string, instances int) *testbed.App {
	app, err := foundation.PushApp(unique(prefix), instances)
	Expect(err).NotTo(HaveOccurred())
	return app
}

// routeTo creates a route on the apps domain (or the internal one) and maps
// it to apps.
func routeTo(internal bool, path string, apps ...*testbed.App) testbed.Route {
	route := foundation.CreateRoute(unique("host"), path, internal)
	mapRoute(route, apps...)
	return route
}

// mapRoute maps a route to apps, failing the spec on error.
func mapRoute(route testbed.Route, apps ...*testbed.App) {
	ctx, cancel := context.WithTimeout(context.Background(), convergeTimeout)
	defer cancel()
	Expect(foundation.MapRoute(ctx, route, apps...)).To(Succeed())
}

// dial opens a proxyless client of host for the rest of the spec.
func dial(host string) *grpc.ClientConn {
	conn, err := foundation.Dial(unique("client"), host)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(conn.Close)
	return conn
}

// answering waits until a call through conn succeeds.
func answering(ctx context.Context, conn *grpc.ClientConn) {
	Eventually(ctx, func() error { _, err := backend.Call(ctx, conn); return err }).
		WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(Succeed(), "the route answers")
}

// split makes n calls and returns each app's share in percent and the
// number of failed calls.
func split(ctx context.Context, conn *grpc.ClientConn, n int, apps ...*testbed.App) (map[string]float64, int) {
	counts, _ := proxyless.Split(ctx, conn, n)
	shares := map[string]float64{}
	for id, c := range counts {
		for _, app := range apps {
			if strings.HasPrefix(id, app.Name+"/") {
				shares[app.Name] += 100 * float64(c) / float64(n)
			}
		}
	}
	return shares, counts[""]
}

// weights are an app's share of a route, as Cloud Controller takes them.
type weights map[*testbed.App]int

// patchWeights replaces the route's destinations with weighted ones through
// the Cloud Controller API, as `cf curl -X PATCH
// /v3/routes/:guid/destinations` does.
func patchWeights(ctx context.Context, route testbed.Route, w weights) {
	client, err := foundation.CFClient()
	Expect(err).NotTo(HaveOccurred())
	port := int(foundation.ContainerPort())
	var dests []*resource.RouteDestinationInsertOrReplace
	for app, weight := range w {
		dests = append(dests, &resource.RouteDestinationInsertOrReplace{
			App: resource.RouteDestinationApp{GUID: &app.GUID}, Weight: &weight, Port: &port,
		})
	}
	_, err = client.Routes.ReplaceDestinations(ctx, route.GUID, dests)
	Expect(err).NotTo(HaveOccurred(), "PATCH /v3/routes/%s/destinations", route.GUID)
}

// expectSplit waits until n calls split by w within splitTolerance with no
// failed call, and returns how long that took from since.
func expectSplit(ctx context.Context, conn *grpc.ClientConn, w weights, since time.Time) time.Duration {
	apps := make([]*testbed.App, 0, len(w))
	for app := range w {
		apps = append(apps, app)
	}
	var shares map[string]float64
	Eventually(ctx, func(g Gomega) {
		var failed int
		shares, failed = split(ctx, conn, splitCalls, apps...)
		g.Expect(failed).To(BeZero(), "failed calls")
		for app, weight := range w {
			g.Expect(shares[app.Name]).To(BeNumerically("~", weight, splitTolerance), "%s's share (weight %d)", app.Name, weight)
		}
	}).WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(Succeed())
	took := time.Since(since)
	for app, weight := range w {
		report.Measure(fmt.Sprintf("%s share (weight %d)", app.Name, weight), "%.1f%%", shares[app.Name])
	}
	return took
}

// codeOf is a call's gRPC status code.
func codeOf(err error) codes.Code {
	return status.Code(err)
}

// seconds formats a duration for the table.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1fs", math.Round(d.Seconds()*10)/10)
}

// skipWithoutGateway skips an Envoy-only spec when no gateway runs.
func skipWithoutGateway() *testbed.Gateway {
	if reason := foundation.GatewaySkipped(); reason != "" {
		Skip(reason)
	}
	return foundation.Gateway()
}

// served asks the pilot, as a proxy of node's class would, for listeners
// (every one, or those named: proxyless clients must name theirs) and the
// route configurations they name, and returns the listener names and every
// virtual host domain.
func served(ctx context.Context, node *corev3.Node, names ...string) (listeners, domains []string) {
	probe, err := adsprobe.Dial(ctx, foundation.XDSAddress(), node)
	Expect(err).NotTo(HaveOccurred())
	defer probe.Close()
	ls, err := probe.Fetch(resourcev3.ListenerType, names...)
	Expect(err).NotTo(HaveOccurred())
	Expect(adsprobe.Validate(ls)).To(Succeed())
	var routeNames []string
	for _, m := range ls {
		l := m.(*listenerv3.Listener)
		listeners = append(listeners, l.GetName())
		routeNames = append(routeNames, rdsNames(l)...)
	}
	if len(routeNames) == 0 {
		return listeners, nil
	}
	rcs, err := probe.Fetch(resourcev3.RouteType, routeNames...)
	Expect(err).NotTo(HaveOccurred())
	Expect(adsprobe.Validate(rcs)).To(Succeed())
	for _, m := range rcs {
		for _, vh := range m.(*routev3.RouteConfiguration).GetVirtualHosts() {
			domains = append(domains, vh.GetDomains()...)
		}
	}
	return listeners, domains
}

// rdsNames are the route configurations a listener's HTTP connection
// managers name.
func rdsNames(l *listenerv3.Listener) []string {
	var anys []*anypb.Any
	if api := l.GetApiListener().GetApiListener(); api != nil {
		anys = append(anys, api)
	}
	for _, chain := range l.GetFilterChains() {
		for _, f := range chain.GetFilters() {
			anys = append(anys, f.GetTypedConfig())
		}
	}
	var names []string
	for _, a := range anys {
		hcm := &hcmv3.HttpConnectionManager{}
		if a.MessageIs(hcm) && a.UnmarshalTo(hcm) == nil && hcm.GetRds().GetRouteConfigName() != "" {
			names = append(names, hcm.GetRds().GetRouteConfigName())
		}
	}
	return names
}

// gatewayNode and meshNode identify probes to the pilot.
func gatewayNode() *corev3.Node { return testbed.GatewayNode(unique("probe-gateway")) }
func meshNode() *corev3.Node    { return testbed.MeshNode(unique("probe-mesh")) }

// metric reads one of a process's metrics (summed over matching series).
func metric(ctx context.Context, p *testbed.Process, name string, labels ...string) float64 {
	v, err := p.Metric(ctx, name, labels...)
	Expect(err).NotTo(HaveOccurred())
	return v
}

// metricOf is metric for Eventually.
func metricOf(ctx context.Context, p *testbed.Process, name string, labels ...string) func() (float64, error) {
	return func() (float64, error) { return p.Metric(ctx, name, labels...) }
}

// xdsTypes are what a Watcher follows.
var xdsTypes = []string{resourcev3.ListenerType, resourcev3.RouteType, resourcev3.ClusterType, resourcev3.EndpointType}

// watch follows the pilot as node until the spec ends and returns once it
// holds listeners, route configurations, clusters and endpoints, settled.
func watch(ctx context.Context, node *corev3.Node, listeners ...string) *testbed.Watcher {
	w := testbed.Watch(foundation.XDSAddress(), node, listeners...)
	DeferCleanup(w.Stop)
	Eventually(ctx, func(g Gomega) {
		latest := w.Latest()
		for _, t := range xdsTypes {
			g.Expect(latest).To(HaveKey(t))
			g.Expect(latest[t].Resources).To(BeNumerically(">", 0), t)
		}
		g.Expect(latest[resourcev3.EndpointType].Endpoints).To(BeNumerically(">", 0))
		g.Expect(w.Since(time.Now().Add(-time.Second))).To(BeEmpty(), "nothing arrived for a second")
	}).WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(Succeed())
	return w
}

// describeBaseline is a snapshot's counts for the table.
func describeBaseline(s testbed.Snapshot) string {
	return fmt.Sprintf("%d listeners, %d route configurations, %d clusters, %d endpoints",
		s[resourcev3.ListenerType].Resources, s[resourcev3.RouteType].Resources,
		s[resourcev3.ClusterType].Resources, s[resourcev3.EndpointType].Endpoints)
}

// minimum is the smallest count each type had in the observations, as a
// snapshot (types never observed keep baseline's).
func minimum(baseline testbed.Snapshot, obs []testbed.Observation) testbed.Snapshot {
	out := testbed.Snapshot{}
	for t, o := range baseline {
		out[t] = o
	}
	for _, o := range obs {
		m := out[o.TypeURL]
		m.Resources, m.Endpoints = min(m.Resources, o.Resources), min(m.Endpoints, o.Endpoints)
		out[o.TypeURL] = m
	}
	return out
}

// startLoad keeps calling through conn until the spec ends.
func startLoad(conn *grpc.ClientConn) *testbed.Load {
	load := testbed.StartLoad(conn, 0, 0)
	DeferCleanup(load.Stop)
	return load
}

// expectNoFailedCall checks a disruption's counts: traffic flowed and no
// call failed.
func expectNoFailedCall(c testbed.Counts, atLeast int) {
	report.Measure("calls during the disruption", "%d", c.Calls)
	report.Measure("failed calls", "%d", c.Failures)
	if c.Failures > 0 {
		GinkgoWriter.Printf("last failed call: %v\n", c.LastError)
	}
	Expect(c.Failures).To(BeZero(), "last error: %v", c.LastError)
	Expect(c.Calls).To(BeNumerically(">=", atLeast), "traffic flowed throughout")
}
