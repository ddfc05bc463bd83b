package copilot

import (
	"slices"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/meshconfig"
	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
)

// builder runs the pure stages and publishes the result. build is called
// from one goroutine (the debounced full builds), publishEndpointsFirst
// from another (ADR 20); publishMu orders their publishes.
type builder struct {
	// compiler remembers the previous build: unchanged hosts keep their
	// objects (issue 8).
	compiler *meshconfig.Compiler
	policies *policyState
	mcp      publisher
	logger   lager.Logger
	duration prometheus.Histogram
	routes   prometheus.Gauge
	objects  prometheus.Gauge
	problems *lifecycle.ProblemLog
	// endpointsFirst counts mesh objects published ahead of a full build;
	// adopted counts full builds the endpoints-first updates stood for.
	endpointsFirst, adopted prometheus.Counter

	// publishMu is held from deciding what to publish to publishing it.
	// It guards the endpoint snapshot the last full build joined
	// (builtVersion) and the endpoints-first updates of later snapshots
	// (fresher), which that build's config must not undo.
	publishMu    sync.Mutex
	builtVersion uint64
	fresher      []hostsUpdate
	// uncovered is the newest snapshot version with a change no
	// endpoints-first update stands for (one past maxEndpointsFirstHosts,
	// or one that changed more than endpoints): a full build must join it.
	uncovered uint64

	// mu guards the last build's table and the config last published,
	// which debug endpoints read.
	mu    sync.Mutex
	table routingtable.Table
	cfg   mesh.Config
	built bool
}

// publisher serves mesh configs to the pilots: the MCP server.
type publisher interface {
	Publish(mesh.Config)
}

// hostsUpdate is one endpoints-first publish: the objects of a few hosts,
// built from a later endpoint snapshot than the full build in progress.
type hostsUpdate struct {
	version     uint64
	put, remove []mesh.Resource
	// hosts' routes, in the routing table's order.
	hosts  []string
	routes []routingtable.Route
}

func newBuilder(options meshconfig.Options, policies *policyState, mcp publisher, logger lager.Logger, reg prometheus.Registerer) *builder {
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
		adopted: f.NewCounter(prometheus.CounterOpts{
			Name: "cfmesh_copilot_builds_adopted_total", Help: "Full builds left out because the endpoints-first publishes since the last one changed only endpoints, so they had published what it would (ADR 20).",
		}),
	}
}

// build joins the sources into a routing table, compiles the whole mesh
// config and publishes it.
func (b *builder) build(desired source.DesiredRoutes, endpoints natssubscriber.RoutingSnapshot) {
	start := time.Now()
	table := routingtable.Build(desired, endpoints.Endpoints, routingtable.Policies{})
	table.Policies = b.policies.forApps(table.Apps())
	cfg, errs := b.compiler.Compile(table)
	b.problems.Report(errs)
	b.publishBuild(table, cfg, endpoints.Version)
	b.duration.Observe(time.Since(start).Seconds())
	b.routes.Set(float64(len(table.Routes)))
	b.objects.Set(float64(cfg.Len()))
	b.logger.Debug("published", lager.Data{"routes": len(table.Routes), "endpoints": len(endpoints.Endpoints), "objects": cfg.Len()})
}

// publishBuild publishes a full build of endpoint snapshot version, with
// the endpoints-first updates of later snapshots put back in: they are
// newer than the build for their hosts, and the next build, which their
// change is also notified to, takes them over.
func (b *builder) publishBuild(table routingtable.Table, cfg mesh.Config, version uint64) {
	b.publishMu.Lock()
	defer b.publishMu.Unlock()
	b.fresher = slices.DeleteFunc(b.fresher, func(u hostsUpdate) bool { return u.version <= version })
	for _, u := range b.fresher {
		cfg, _ = cfg.Updating(u.put, u.remove)
	}
	b.mcp.Publish(cfg)
	b.builtVersion = max(b.builtVersion, version)
	b.mu.Lock()
	b.table, b.cfg, b.built = table, cfg, true
	b.mu.Unlock()
}

// latest returns the last routing table built and the mesh configuration
// last published.
func (b *builder) latest() (routingtable.Table, mesh.Config, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.table, b.cfg, b.built
}

// maxEndpointsFirstHosts bounds the hosts an endpoints-first publish
// rebuilds: past it, a burst of changes is as quick to build in full.
const maxEndpointsFirstHosts = 256

// publishEndpointsFirst publishes the config last published with the
// objects of the snapshot's changed hosts built anew (a host
// that lost its last route loses its objects), ahead of the full build
// (ADR 20): an instance that started or stopped reaches the pilots without
// waiting for the whole foundation to be joined and compiled again, nor
// for a build in progress. What else the full build changes
// (authorization policies naming a new host) follows with it. It reports
// whether it published.
func (b *builder) publishEndpointsFirst(desired source.DesiredRoutes, endpoints natssubscriber.RoutingSnapshot) bool {
	hosts := endpoints.ChangedHosts
	if len(hosts) == 0 {
		return false
	}
	if len(hosts) > maxEndpointsFirstHosts {
		b.leaveToFullBuild(endpoints.Version)
		return false
	}
	routes := routingtable.BuildHosts(desired, endpoints.Endpoints, hosts)
	put, remove := b.compiler.HostObjects(hosts, routes)
	b.publishMu.Lock()
	defer b.publishMu.Unlock()
	table, last, built := b.latest()
	if !built || endpoints.Version <= b.builtVersion {
		return false // the last full build joined this snapshot or a later one
	}
	if !adoptable(table.Routes, hosts, routes) {
		b.uncovered = max(b.uncovered, endpoints.Version)
	}
	// Every update of a later snapshot holds, also one that changes nothing
	// now: what it agrees with may be a hold that a build drops.
	b.fresher = append(b.fresher, hostsUpdate{version: endpoints.Version, put: put, remove: remove, hosts: hosts, routes: routes})
	cfg, changed := last.Updating(put, remove)
	if changed == 0 {
		return false
	}
	b.mcp.Publish(cfg)
	b.mu.Lock()
	b.cfg = cfg
	b.mu.Unlock()
	b.endpointsFirst.Add(float64(changed))
	return true
}
