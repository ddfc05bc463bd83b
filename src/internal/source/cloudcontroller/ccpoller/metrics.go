package ccpoller

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Values of the `result` labels.
const (
	resultSuccess = "success"
	resultFailure = "failure"
)

type metrics struct {
	syncs            *prometheus.CounterVec
	triggers         *prometheus.CounterVec
	duration         prometheus.Histogram
	lastSuccess      prometheus.Gauge
	routes           prometheus.Gauge
	rejected         prometheus.Gauge
	routePolicies    prometheus.Gauge
	rejectedPolicies prometheus.Gauge
	eventPolls       *prometheus.CounterVec
	events           *prometheus.CounterVec
	rejectedEvents   prometheus.Counter
	refreshes        *prometheus.CounterVec
}

// newMetrics creates the poller's metrics and registers them with reg,
// unless reg is nil.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		syncs: counterVec("cfmesh_copilot_cc_syncs_total",
			"Full syncs with Cloud Controller (connection attempts included), by result (success or failure).", "result"),
		triggers: counterVec("cfmesh_copilot_cc_full_sync_triggers_total",
			"Full syncs started, by reason (start, periodic, retry, event_poll_failed, events_truncated, unusable_event, large_change, stale_cursor).", "reason"),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "cfmesh_copilot_cc_sync_duration_seconds",
			Help:    "Time a full sync's listing took, failed ones included.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
		}),
		lastSuccess:   gauge("cfmesh_copilot_cc_last_success_timestamp_seconds", "Unix time of the last successful full sync with Cloud Controller."),
		routes:        gauge("cfmesh_copilot_cc_routes", "HTTP routes the copilot's view of Cloud Controller holds."),
		rejected:      gauge("cfmesh_copilot_cc_rejected_routes", "Cloud Controller routes dropped as invalid from the copilot's view."),
		routePolicies: gauge("cfmesh_copilot_cc_route_policies", "Cloud Controller route policies (RFC-0055) the copilot's view holds."),
		rejectedPolicies: gauge("cfmesh_copilot_cc_rejected_route_policies",
			"Route policies of enforcing routes dropped because their source does not parse or their domain's scope cannot place their caller (their routes admit fewer callers)."),
		eventPolls: counterVec("cfmesh_copilot_cc_event_polls_total",
			"Reads of new Cloud Controller audit events, by result (success or failure).", "result"),
		events: counterVec("cfmesh_copilot_cc_events_total", "Cloud Controller audit events acted on, each once, by type.", "type"),
		rejectedEvents: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cfmesh_copilot_cc_rejected_events_total",
			Help: "Cloud Controller audit events too malformed to act on (each triggers a full sync).",
		}),
		refreshes: counterVec("cfmesh_copilot_cc_targeted_refreshes_total",
			"Targeted re-reads of what audit events touched, by result (success or failure).", "result"),
	}
	for _, v := range []*prometheus.CounterVec{m.syncs, m.eventPolls, m.refreshes} {
		v.WithLabelValues(resultSuccess)
		v.WithLabelValues(resultFailure)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{
		m.syncs, m.triggers, m.duration, m.lastSuccess, m.routes, m.rejected, m.routePolicies, m.rejectedPolicies,
		m.eventPolls, m.events, m.rejectedEvents, m.refreshes,
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering Cloud Controller poller metrics: %w", err)
		}
	}
	return m, nil
}

func counterVec(name, help, label string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{label})
}

func gauge(name, help string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
}
