package pilot

import (
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
// It is called from one goroutine only.
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
}

func newTranslator(options xdsresources.Options, xds *xdsserver.Server, logger lager.Logger, reg prometheus.Registerer) *translator {
	f := promauto.With(reg)
	logger = logger.Session("translator")
	return &translator{
		xds:       xds,
		ir:        envoyir.NewTranslator(),
		resources: xdsresources.NewTranslator(options),
		logger:    logger,
		duration: f.NewHistogram(prometheus.HistogramOpts{
			Name: "cfmesh_pilot_translation_duration_seconds", Help: "Time to translate mesh config into xDS resources and update the caches.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}),
		problems: lifecycle.NewProblemLog(logger, "config-problem", f.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_pilot_config_problems", Help: "Problems found in the last translated mesh config.",
		})),
		invalid: f.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_pilot_xds_invalid_resources", Help: "Envoy resources the last translation dropped because they failed validation (each logged as a config-problem).",
		}),
	}
}

// translate turns one mesh config into served resources. Problems are
// logged once each while they last; a failure to update the caches keeps
// the previous resources served.
func (t *translator) translate(cfg mesh.Config) {
	start := time.Now()
	ir, irErrs := t.ir.Translate(cfg)
	res, resErrs := t.resources.Translate(ir)
	t.problems.Report(append(irErrs, resErrs...))
	t.invalid.Set(float64(len(resErrs)))
	if err := t.xds.Update(res); err != nil {
		return
	}
	t.duration.Observe(time.Since(start).Seconds())
	t.logger.Debug("translated", lager.Data{"objects": cfg.Len(), "clusters": len(res.GatewayClusters), "took": time.Since(start).String()})
}
