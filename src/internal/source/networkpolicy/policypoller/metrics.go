package policypoller

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Values of the `result` label.
const (
	resultSuccess = "success"
	resultFailure = "failure"
)

type metrics struct {
	polls       *prometheus.CounterVec
	policies    prometheus.Gauge
	lastSuccess prometheus.Gauge
	rejected    prometheus.Gauge
}

// newMetrics creates the poller's metrics and registers them with reg,
// unless reg is nil.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_copilot_policy_server_polls_total",
			Help: "Reads of the policy server's container-to-container policies, by result (success or failure).",
		}, []string{"result"}),
		policies: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_copilot_network_policies",
			Help: "Container-to-container policies in the last good policy list (valid entries, without duplicates).",
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_copilot_policy_server_last_success_timestamp_seconds",
			Help: "Unix time of the last successful read of the policy server.",
		}),
		rejected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_copilot_policy_server_rejected_policies",
			Help: "Entries of the last good policy list dropped as invalid.",
		}),
	}
	m.polls.WithLabelValues(resultSuccess)
	m.polls.WithLabelValues(resultFailure)
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.polls, m.policies, m.lastSuccess, m.rejected} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering policy server poller metrics: %w", err)
		}
	}
	return m, nil
}
