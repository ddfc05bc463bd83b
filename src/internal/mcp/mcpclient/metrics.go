package mcpclient

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

const (
	resultACK  = "ack"
	resultNACK = "nack"
)

type metrics struct {
	connected  prometheus.Gauge
	responses  *prometheus.CounterVec
	received   *prometheus.CounterVec
	lastUpdate prometheus.Gauge
	// sotwFallbacks counts connections to copilots that spoke SotW only.
	sotwFallbacks prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	return &metrics{
		connected: f.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_pilot_mcp_connected",
			Help: "1 while the pilot has an open MCP stream to a copilot, else 0.",
		}),
		responses: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_pilot_mcp_responses_total",
			Help: "MCP responses received, by collection type URL and result (ack: accepted, nack: rejected).",
		}, []string{"collection", "result"}),
		received: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_pilot_mcp_resources_received_total",
			Help: "Objects received in MCP responses, by collection type URL and transport (sotw: whole collections; delta: changed objects).",
		}, []string{"collection", "transport"}),
		lastUpdate: f.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_pilot_mcp_last_update_timestamp_seconds",
			Help: "Unix time of the last MCP response the pilot accepted.",
		}),
		sotwFallbacks: f.NewCounter(prometheus.CounterOpts{
			Name: "cfmesh_pilot_mcp_sotw_fallbacks_total",
			Help: "Connections on which a copilot answered Delta with Unimplemented (an older copilot) and the pilot used State of the World.",
		}),
	}
}
