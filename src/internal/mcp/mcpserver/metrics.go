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
	pushes    *prometheus.CounterVec
	nacks     *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	return &metrics{
		connected: f.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_copilot_mcp_connected_clients",
			Help: "MCP (ADS) streams currently open to this copilot.",
		}),
		pushes: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_copilot_mcp_pushes_total",
			Help: "MCP responses sent, by requested collection type URL.",
		}, []string{"collection"}),
		nacks: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_copilot_mcp_nacks_total",
			Help: "MCP responses a client rejected, by requested collection type URL.",
		}, []string{"collection"}),
	}
}
