package ccpoller

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Values of the `result` label of cfmesh_copilot_cc_syncs_total.
const (
	resultSuccess = "success"
	resultFailure = "failure"
)

type metrics struct {
	syncs       *prometheus.CounterVec
	duration    prometheus.Histogram
	lastSuccess prometheus.Gauge
	routes      prometheus.Gauge
	rejected    prometheus.Gauge
}

// newMetrics creates the poller's metrics and registers them with reg,
// unless reg is nil.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_copilot_cc_syncs_total",
			Help: "Full syncs with Cloud Controller, by result (success or failure).",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "cfmesh_copilot_cc_sync_duration_seconds",
			Help:    "Time a full sync with Cloud Controller took, failed ones included.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_copilot_cc_last_success_timestamp_seconds",
			Help: "Unix time of the last successful sync with Cloud Controller.",
		}),
		routes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_copilot_cc_routes",
			Help: "HTTP routes the last successful sync produced.",
		}),
		rejected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_copilot_cc_rejected_routes",
			Help: "Cloud Controller routes the last successful sync dropped as invalid.",
		}),
	}
	m.syncs.WithLabelValues(resultSuccess)
	m.syncs.WithLabelValues(resultFailure)
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.syncs, m.duration, m.lastSuccess, m.routes, m.rejected} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering Cloud Controller poller metrics: %w", err)
		}
	}
	return m, nil
}
