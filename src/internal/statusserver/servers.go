package statusserver

import (
	"context"
	"net/http"

	"code.cloudfoundry.org/lager/v3"
	"github.com/prometheus/client_golang/prometheus"
)

// Servers are a process's status server on loopback, with its debug
// endpoints, and optionally a metrics server without them on the address a
// Prometheus scraper reaches.
type Servers struct {
	Status  *Server
	Metrics *Server // nil when no metrics address is configured
}

// Open listens on statusAddress (every endpoint, debug included) and, when
// metricsAddress is not empty, on metricsAddress (only /metrics, /healthz
// and /readyz). Debug APIs show routes, certificates' names and proxy
// identities, so they never share the scraped listener; the status server
// also serves Go's profiler under /debug/pprof/.
func Open(statusAddress, metricsAddress string, gatherer prometheus.Gatherer, ready func() bool, logger lager.Logger, debug map[string]http.Handler) (*Servers, error) {
	status, err := New(statusAddress, gatherer, ready, logger, withProfiling(debug))
	if err != nil {
		return nil, err
	}
	servers := &Servers{Status: status}
	if metricsAddress == "" {
		return servers, nil
	}
	servers.Metrics, err = New(metricsAddress, gatherer, ready, logger.Session("metrics"), nil)
	if err != nil {
		_ = status.listener.Close()
		return nil, err
	}
	return servers, nil
}

// Run serves every server until ctx ends or one fails; a failing server
// stops the others.
func (s *Servers) Run(ctx context.Context) error {
	if s.Metrics == nil {
		return s.Status.Run(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	for _, server := range []*Server{s.Status, s.Metrics} {
		go func() { errc <- server.Run(ctx) }()
	}
	first := <-errc
	cancel()
	if second := <-errc; first == nil {
		return second
	}
	return first
}
