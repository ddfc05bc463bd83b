package xdsserver

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

type metrics struct {
	connected *prometheus.GaugeVec
	pushes    *prometheus.CounterVec
	nacks     *prometheus.CounterVec
	rejected  *prometheus.CounterVec
	resources *prometheus.GaugeVec
	sidecars  prometheus.Gauge
	// convergence is the time from an Update to a proxy's ACK of what it
	// pushed, by type.
	convergence *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	return &metrics{
		connected: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cfmesh_pilot_xds_connected_proxies", Help: "Open xDS streams by proxy class.",
		}, []string{"class"}),
		pushes: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_pilot_xds_pushes_total", Help: "xDS responses sent, by type URL.",
		}, []string{"type"}),
		nacks: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_pilot_xds_nacks_total", Help: "xDS responses proxies rejected, by type URL.",
		}, []string{"type"}),
		rejected: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cfmesh_pilot_xds_rejected_proxies_total", Help: "Streams refused, by reason: unclassified node, address-mismatch (node IP is not the peer's), unknown-workload, too-many-streams.",
		}, []string{"reason"}),
		resources: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cfmesh_pilot_xds_resources", Help: "Resources served, by cache (sidecar-own: every container sidecar's own listeners and routes together).",
		}, []string{"cache"}),
		convergence: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cfmesh_pilot_xds_convergence_seconds",
			Help:    "Time from the pilot applying a new configuration to a proxy's ACK of the response it caused, by type URL.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, []string{"type"}),
		sidecars: f.NewGauge(prometheus.GaugeOpts{
			Name: "cfmesh_pilot_xds_sidecar_nodes", Help: "Container sidecars with their own caches (connected and identified).",
		}),
	}
}

func (m *metrics) observeResources(r xdsresources.Resources) {
	for cache, n := range map[string]int{
		"gateway-listeners": len(r.GatewayListeners), "mesh-listeners": len(r.MeshListeners), "routes": len(r.Routes),
		"gateway-clusters": len(r.GatewayClusters), "mesh-clusters": len(r.MeshClusters), "sidecar-clusters": len(r.SidecarClusters),
		"gateway-endpoints": len(r.GatewayEndpoints), "mesh-endpoints": len(r.MeshEndpoints), "sidecar-endpoints": len(r.SidecarEndpoints),
	} {
		m.resources.WithLabelValues(cache).Set(float64(n))
	}
}
