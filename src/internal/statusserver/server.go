package statusserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server serves the status endpoints.
type Server struct {
	listener net.Listener
	http     *http.Server
	logger   lager.Logger
}

// New listens on address and prepares the handlers. ready reports whether
// the process serves configuration; gatherer supplies /metrics; debug adds
// the process's own endpoints (paths under /debug/).
func New(address string, gatherer prometheus.Gatherer, ready func() bool, logger lager.Logger, debug map[string]http.Handler) (*Server, error) {
	lis, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("status server: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready() {
			http.Error(w, "not ready: no configuration synced yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	for path, handler := range debug {
		mux.Handle(path, handler)
	}
	return &Server{
		listener: lis,
		http:     &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
		logger:   logger.Session("status-server"),
	}, nil
}

// Address is where the server listens.
func (s *Server) Address() string { return s.listener.Addr().String() }

// Run serves until ctx is done.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.listener) }()
	s.logger.Info("serving", lager.Data{"address": s.Address()})
	select {
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return s.http.Shutdown(shutdown)
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}
