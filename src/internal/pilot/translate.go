package pilot

import (
	"sync/atomic"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
	"code.cloudfoundry.org/cf-mesh/internal/xdsserver"
)

// translator runs the pure stages and hands the result to the xDS server.
// translate is called from one goroutine only; sendEndpointsFirst from one
// other, concurrently with it: it reads only the index a completed
// translation published.
type translator struct {
	xds *xdsserver.Server
	// ir and resources remember the previous translation: the IR of
	// unchanged objects is reused, unchanged resources are the same
	// messages again (issue 8).
	ir        *envoyir.Translator
	resources *xdsresources.Translator
	logger    lager.Logger
	duration  prometheus.Histogram
	problems  *lifecycle.ProblemLog
	invalid   prometheus.Gauge
	// index is what the last completed translation built and served,
	// for the endpoints-first path (ADR 20); endpointsFirst counts the
	// load assignments that path sent.
	index          atomic.Pointer[endpointsIndex]
	endpointsFirst prometheus.Counter
	// deferred counts full translations held back for configs that
	// changed only endpoints the endpoints-first path sent.
	deferred prometheus.Counter
	// giveWay is the translation's checkpoint: it waits while the
	// proxies have not answered an endpoints-first update; gaveWay counts
	// the time.
	giveWay *giveWay
	gaveWay prometheus.Counter
}

// endpointsIndex is one translation's part of the endpoints-first path.
type endpointsIndex struct {
	clusters envoyir.EndpointIndex
	served   xdsresources.ServedEndpoints
}

func newTranslator(options xdsresources.Options, xds *xdsserver.Server, logger lager.Logger, reg prometheus.Registerer) *translator {
	f := promauto.With(reg)
	logger = logger.Session("translator")
	t := &translator{
		xds:       xds,
		ir:        envoyir.NewTranslator(),
		resources: xdsresources.NewTranslator(options),
		giveWay:   newGiveWay(xds.UnansweredEndpointsFirst),
		logger:    logger,
		duration: f.NewHistogram(prometheus.HistogramOpts{
			Name: "cfmesh_pilot_translation_duration_seconds", Help: "Time to translate mesh config into xDS resources and update the caches, without the waits for endpoints-first updates (cfmesh_pilot_translation_gave_way_seconds_total).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}),
		problems: lifecycle.NewProblemLog(logger, "config-problem", f.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_pilot_config_problems", Help: "Problems found in the last translated mesh config.",
		})),
		invalid: f.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_pilot_xds_invalid_resources", Help: "Envoy resources the last translation dropped because they failed validation (each logged as a config-problem).",
		}),
		endpointsFirst: f.NewCounter(prometheus.CounterOpts{
			Name: "cfmesh_pilot_endpoints_first_total", Help: "Load assignments sent ahead of the full translation because their ServiceEntry changed (ADR 20).",
		}),
		deferred: f.NewCounter(prometheus.CounterOpts{
			Name: "cfmesh_pilot_translations_deferred_total", Help: "Full translations held back (at most 2s) because every change since the last one was endpoints that were sent ahead of it (ADR 20).",
		}),
		gaveWay: f.NewCounter(prometheus.CounterOpts{
			Name: "cfmesh_pilot_translation_gave_way_seconds_total", Help: "Time full translations waited for proxies to answer endpoints-first updates sent while they ran (at most 0.6s each, ADR 20).",
		}),
	}
	t.ir.Checkpoint, t.resources.Checkpoint = t.giveWay.checkpoint, t.giveWay.checkpoint
	return t
}

// translate turns the mesh config of generation into served resources
// and publishes the index the endpoints-first path reads. Problems are
// logged once each while they last; a failure to update the caches keeps
// the previous resources served.
func (t *translator) translate(cfg mesh.Config, generation uint64) {
	start := time.Now()
	t.giveWay.begin()
	defer func() { t.gaveWay.Add(t.giveWay.waited.Seconds()) }()
	ir, irErrs := t.ir.Translate(cfg)
	res, resErrs := t.resources.Translate(ir)
	t.problems.Report(append(irErrs, resErrs...))
	t.invalid.Set(float64(len(resErrs)))
	t.giveWay.checkpoint()
	if err := t.xds.UpdateGeneration(res, generation); err != nil {
		return
	}
	t.index.Store(&endpointsIndex{clusters: t.ir.EndpointIndex(), served: t.resources.ServedEndpoints()})
	t.duration.Observe((time.Since(start) - t.giveWay.waited).Seconds())
	t.logger.Debug("translated", lager.Data{"objects": cfg.Len(), "clusters": len(res.GatewayClusters), "took": time.Since(start).String(), "gave-way": t.giveWay.waited.String()})
}

// maxEndpointsFirst bounds the load assignments one config sends ahead of
// its full translation: past it (a copilot resync delivers every object
// anew) the full translation is as quick, and it sends only what changed.
const maxEndpointsFirst = 512

// sendEndpointsFirst serves the new endpoints of the clusters whose
// ServiceEntry changed in the config of generation, without waiting for
// its full translation, or for the one running: an instance that started
// or stopped is reached, or no longer, in the time it takes to build a few
// load assignments (ADR 20). It returns how many it sent, and whether the
// config changed nothing but instances since the last full translation
// (endpoints, and per-instance hosts that came or went), every changed
// load assignment went to the xDS server and the sidecars' per-instance
// folds hold: then the full translation may wait (awaitEndpointsOnly).
// For endpoints alone it would send the connected proxies nothing more;
// for per-instance hosts, it brings their own resources to the proxyless
// clients that ask for them by name (ADR 20, third amendment).
func (t *translator) sendEndpointsFirst(cfg mesh.Config, generation uint64) (sent int, endpointsOnly bool) {
	index := t.index.Load()
	if index == nil {
		return 0, false
	}
	changes := index.clusters.Changes(cfg)
	switch n := len(changes.LoadAssignments); {
	case n+len(changes.NewHosts) > maxEndpointsFirst:
		return 0, false
	case n == 0:
		return 0, changes.InstanceHostsOnly
	}
	sent, err := t.xds.UpdateEndpoints(index.served.LoadAssignments(changes), generation)
	if err != nil {
		return 0, false // logged by the server; the full translation follows
	}
	t.endpointsFirst.Add(float64(sent))
	return sent, changes.InstanceHostsOnly && index.served.FoldsHold(changes)
}
