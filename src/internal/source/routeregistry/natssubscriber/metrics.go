package natssubscriber

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
)

// Result label values of cfmesh_copilot_nats_messages_total.
const (
	resultAccepted = "accepted"
	resultRejected = "rejected"
)

// handledSubjects are the subjects the subscriber acts on.
var handledSubjects = []string{
	routeregistry.SubjectRegister, routeregistry.SubjectUnregister, routeregistry.SubjectGreet,
	routeregistry.SubjectServiceDiscoveryRegister, routeregistry.SubjectServiceDiscoveryUnregister,
	routeregistry.SubjectServiceDiscoveryGreet,
}

type metrics struct {
	messages *prometheus.CounterVec
	// accepted holds messages{subject, accepted} for every handled
	// subject, resolved once: looking a label set up costs more than
	// decoding a no-op re-registration's table update.
	accepted         map[string]prometheus.Counter
	rejected         *prometheus.CounterVec
	endpoints        prometheus.Gauge
	connected        prometheus.Gauge
	pruned           prometheus.Counter
	pruningSuspended prometheus.Gauge
	initialSync      prometheus.Gauge
}

// newMetrics creates the subscriber's metrics and registers them with reg
// when it is not nil. Registering two subscribers with one registry panics.
func newMetrics(reg prometheus.Registerer) *metrics {
	factory := promauto.With(reg)
	m := &metrics{
		messages: factory.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_copilot_nats_messages_total",
			Help: "NATS route-registration messages received, by subject and whether they were accepted.",
		}, []string{"subject", "result"}),
		rejected: factory.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_copilot_nats_rejected_messages_total",
			Help: "NATS registration messages rejected, by subject and reason (payload_too_large, malformed_json, invalid_<field>).",
		}, []string{"subject", "reason"}),
		endpoints: factory.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_copilot_nats_endpoints",
			Help: "Endpoints (URI and backend pairs) in the NATS endpoint table, router.register and service-discovery.register together.",
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
		initialSync: factory.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_copilot_nats_initial_sync_seconds",
			Help: "Seconds from the NATS connect to the end of the initial sync (Ready), set once; 0 before.",
		}),
		accepted: map[string]prometheus.Counter{},
	}
	for _, subject := range handledSubjects {
		m.accepted[subject] = m.messages.WithLabelValues(subject, resultAccepted)
	}
	return m
}

// reject counts a rejected message of subject.
func (m *metrics) reject(subject, reason string) {
	m.messages.WithLabelValues(subject, resultRejected).Inc()
	m.rejected.WithLabelValues(subject, reason).Inc()
}
