package copilot

import (
	"strings"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/meshconfig"
	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// builder runs the pure stages and publishes the result. It is called from
// one goroutine only.
type builder struct {
	// compiler remembers the previous build: unchanged hosts keep their
	// objects (issue 8).
	compiler *meshconfig.Compiler
	policies *policyState
	mcp      *mcpserver.Server
	logger   lager.Logger
	duration prometheus.Histogram
	routes   prometheus.Gauge
	objects  prometheus.Gauge
	problems *lifecycle.ProblemLog
	// endpointsFirst counts mesh objects published ahead of a build.
	endpointsFirst prometheus.Counter

	// mu guards the last build, which debug endpoints read.
	mu    sync.Mutex
	table routingtable.Table
	cfg   mesh.Config
	built bool
}

func newBuilder(options meshconfig.Options, policies *policyState, mcp *mcpserver.Server, logger lager.Logger, reg prometheus.Registerer) *builder {
	f := promauto.With(reg)
	logger = logger.Session("builder")
	return &builder{
		compiler: meshconfig.NewCompiler(options),
		policies: policies,
		mcp:      mcp,
		logger:   logger,
		duration: f.NewHistogram(prometheus.HistogramOpts{
			Name: "cfmesh_copilot_build_duration_seconds", Help: "Time to join the sources, compile the mesh config and publish it.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}),
		routes: f.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_copilot_routing_table_routes", Help: "Routes in the routing table.",
		}),
		objects: f.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_copilot_mesh_objects", Help: "Istio objects in the published mesh config.",
		}),
		problems: lifecycle.NewProblemLog(logger, "compile-problem", f.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_copilot_compile_problems", Help: "Problems in the last mesh config compilation: hosts or endpoints left out, each for a logged reason.",
		})),
		endpointsFirst: f.NewCounter(prometheus.CounterOpts{
			Name: "cfmesh_copilot_endpoints_first_total", Help: "Mesh objects published ahead of a full build because their hosts' endpoints changed (ADR 20).",
		}),
	}
}

func (b *builder) build(desired source.DesiredRoutes, endpoints source.Endpoints) {
	start := time.Now()
	table := routingtable.Build(desired, endpoints, routingtable.Policies{})
	table.Policies = b.policies.forApps(table.Apps())
	cfg, errs := b.compiler.Compile(table)
	b.problems.Report(errs)
	b.mcp.Publish(cfg)
	b.mu.Lock()
	b.table, b.cfg, b.built = table, cfg, true
	b.mu.Unlock()
	b.duration.Observe(time.Since(start).Seconds())
	b.routes.Set(float64(len(table.Routes)))
	b.objects.Set(float64(cfg.Len()))
	b.logger.Debug("published", lager.Data{"routes": len(table.Routes), "endpoints": len(endpoints), "objects": cfg.Len()})
}

// latest returns the last routing table and mesh configuration built.
func (b *builder) latest() (routingtable.Table, mesh.Config, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.table, b.cfg, b.built
}

// endpointsFirstLead is how long the full build waits after an
// endpoints-first publish: the pilots and their proxies get the two cores
// of a small cell to themselves while they take it (ADR 20).
const endpointsFirstLead = 50 * time.Millisecond

// maxEndpointsFirstHosts bounds the hosts an endpoints-first publish
// rebuilds: past it, a burst of changes is as quick to build in full.
const maxEndpointsFirstHosts = 256

// publishEndpointsFirst publishes the last build with the objects of the
// hosts of changed URIs built anew (a host that lost its last route loses
// its objects), ahead of the full build that follows (ADR 20): an
// instance that started or stopped reaches the pilot without waiting for
// the whole foundation to be joined and compiled again. What else the
// full build changes (authorization policies naming a new host) follows
// with it.
func (b *builder) publishEndpointsFirst(desired source.DesiredRoutes, endpoints source.Endpoints, uris []string) bool {
	_, last, built := b.latest()
	hosts := hostsOf(uris)
	if !built || len(hosts) > maxEndpointsFirstHosts {
		return false
	}
	objects, gone := b.compiler.HostObjects(hosts, routingtable.BuildHosts(desired, endpoints, hosts))
	cfg, changed := last.Updating(objects, gone)
	if changed == 0 {
		return false
	}
	b.mcp.Publish(cfg)
	b.endpointsFirst.Add(float64(changed))
	return true
}

// hostsOf are the hosts of route URIs (`host[/path]`), once each.
func hostsOf(uris []string) []string {
	seen := map[string]bool{}
	var hosts []string
	for _, uri := range uris {
		host, _, _ := strings.Cut(uri, "/")
		if !seen[host] {
			seen[host] = true
			hosts = append(hosts, host)
		}
	}
	return hosts
}
