package ccpoller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
)

// minBackoffLimit is the least the failure backoff may grow to, however
// short EventPollInterval is.
const minBackoffLimit = time.Minute

// Poller keeps source.DesiredRoutes in step with Cloud Controller.
type Poller struct {
	cfg       Config
	logger    lager.Logger
	publish   func(source.DesiredRoutes)
	metrics   *metrics
	transport *http.Transport
	running   atomic.Bool
}

// New validates cfg (after applying its defaults), loads its CA bundle and
// registers the metrics with reg (nil: not registered). It does not contact
// Cloud Controller: Run does.
func New(cfg Config, logger lager.Logger, reg prometheus.Registerer, publish func(source.DesiredRoutes)) (*Poller, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid Cloud Controller poller config: %w", err)
	}
	if logger == nil || publish == nil {
		return nil, errors.New("ccpoller: a logger and a publish function are required")
	}
	transport, err := newTransport(cfg)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	return &Poller{
		cfg:       cfg,
		logger:    logger.Session("cc-poller"),
		publish:   publish,
		metrics:   m,
		transport: transport,
	}, nil
}

// Run connects to Cloud Controller (retrying while it is unreachable),
// then polls audit events and runs full syncs until ctx ends; it then
// returns nil. It returns an error only when called a second time.
func (p *Poller) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("ccpoller: Run may be called only once")
	}
	defer p.transport.CloseIdleConnections()
	p.logger.Info("starting", lager.Data{
		"api_url": p.cfg.APIURL, "client_id": p.cfg.ClientID,
		"event_poll_interval": p.cfg.EventPollInterval.String(), "full_sync_interval": p.cfg.FullSyncInterval.String(),
		"event_lookback": p.cfg.EventLookback.String(), "per_page": p.cfg.PerPage,
	})
	defer p.logger.Info("stopped")
	cs, ok := p.connect(ctx)
	if !ok {
		return nil
	}
	l := &loop{
		p:        p,
		rd:       reader{c: cs.events, perPage: p.cfg.PerPage, types: cloudcontroller.EventTypes()},
		syncRd:   reader{c: cs.sync, perPage: p.cfg.PerPage, types: cloudcontroller.EventTypes()},
		logger:   p.logger,
		rejected: map[string]string{},
	}
	l.run(ctx)
	return nil
}

func (p *Poller) failureData(attempt int, retryIn time.Duration) lager.Data {
	return lager.Data{"api_url": p.cfg.APIURL, "consecutive_failures": attempt, "retry_in": retryIn.String()}
}

func (p *Poller) connectedData(attempts int) lager.Data {
	return lager.Data{"api_url": p.cfg.APIURL, "attempts": attempts}
}

// backoff is the delay after the given number of consecutive failures:
// interval, doubling per failure, up to max(5×interval, 1 minute).
func backoff(interval time.Duration, failures int) time.Duration {
	limit := max(5*interval, minBackoffLimit)
	d := interval
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
