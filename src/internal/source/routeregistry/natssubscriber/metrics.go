package natssubscriber

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Result label values of cfmesh_copilot_nats_messages_total.
const (
	resultAccepted = "accepted"
	resultRejected = "rejected"
)

type metrics struct {
	messages         *prometheus.CounterVec
	endpoints        prometheus.Gauge
	connected        prometheus.Gauge
	pruned           prometheus.Counter
	pruningSuspended prometheus.Gauge
}

// newMetrics creates the subscriber's metrics and registers them with reg
// when it is not nil. Registering two subscribers with one registry panics.
func newMetrics(reg prometheus.Registerer) *metrics {
	factory := promauto.With(reg)
	return &metrics{
		messages: factory.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_copilot_nats_messages_total",
			Help: "NATS route-registration messages received, by subject and whether they were accepted.",
		}, []string{"subject", "result"}),
		endpoints: factory.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_copilot_nats_endpoints",
			Help: "Endpoints (URI and backend pairs) in the NATS endpoint table.",
		}),
		connected: factory.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_copilot_nats_connected",
			Help: "1 while the copilot is connected to NATS, 0 otherwise.",
		}),
		pruned: factory.NewCounter(prometheus.CounterOpts{
			Name: "cfmesh_copilot_nats_pruned_endpoints_total",
			Help: "Endpoints removed because they were not re-registered within their stale threshold.",
		}),
		pruningSuspended: factory.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_copilot_nats_pruning_suspended",
			Help: "1 while pruning is suspended because NATS is not connected.",
		}),
	}
}
