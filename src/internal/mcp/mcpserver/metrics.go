package mcpserver

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// unknownCollection labels metrics of collections cf-mesh does not produce,
// so a client cannot grow label cardinality with made-up type URLs.
const unknownCollection = "unknown"

type metrics struct {
	connected prometheus.Gauge
	opened    *prometheus.CounterVec
	pushes    *prometheus.CounterVec
	resources *prometheus.CounterVec
	removals  *prometheus.CounterVec
	bytes     *prometheus.CounterVec
	nacks     *prometheus.CounterVec
	oversized *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	return &metrics{
		connected: f.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_copilot_mcp_connected_clients",
			Help: "MCP (ADS) streams currently open to this copilot, State-of-the-World and Delta.",
		}),
		opened: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_copilot_mcp_streams_opened_total",
			Help: "MCP (ADS) streams opened, by transport (sotw, delta).",
		}, []string{"transport"}),
		pushes: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_copilot_mcp_pushes_total",
			Help: "MCP responses sent, by requested collection type URL.",
		}, []string{"collection"}),
		resources: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_copilot_mcp_resources_sent_total",
			Help: "Objects sent in MCP responses, by collection type URL and transport (sotw: whole collections; delta: changed objects).",
		}, []string{"collection", "transport"}),
		removals: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_copilot_mcp_removals_sent_total",
			Help: "Object names sent as removed in Delta MCP responses, by collection type URL.",
		}, []string{"collection"}),
		bytes: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_copilot_mcp_response_bytes_total",
			Help: "Encoded size of the MCP responses sent, by collection type URL and transport.",
		}, []string{"collection", "transport"}),
		nacks: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_copilot_mcp_nacks_total",
			Help: "MCP responses a client rejected, by requested collection type URL.",
		}, []string{"collection"}),
		oversized: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_copilot_mcp_oversized_responses_total",
			Help: "MCP responses not sent because they exceeded max_send_message_bytes, by collection type URL.",
		}, []string{"collection"}),
	}
}
