package ccpoller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync/atomic"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/cloudfoundry/go-cfclient/v3/client"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
)

// minBackoffLimit is the least the failure backoff may grow to, however
// short PollInterval is.
const minBackoffLimit = time.Minute

// Poller keeps source.DesiredRoutes in step with Cloud Controller.
type Poller struct {
	cfg       Config
	logger    lager.Logger
	publish   func(source.DesiredRoutes)
	metrics   *metrics
	transport *http.Transport
	running   atomic.Bool

	// Owned by Run's goroutine.
	last      source.DesiredRoutes
	published bool
	failures  int
	rejected  map[string]string // route GUID → reason, as of the last sync
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
		rejected:  map[string]string{},
	}, nil
}

// Run connects to Cloud Controller (retrying while it is unreachable) and
// syncs until ctx ends; it then returns nil. It returns an error only when
// called a second time.
func (p *Poller) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("ccpoller: Run may be called only once")
	}
	defer p.transport.CloseIdleConnections()
	p.logger.Info("starting", lager.Data{
		"api_url": p.cfg.APIURL, "client_id": p.cfg.ClientID,
		"poll_interval": p.cfg.PollInterval.String(), "per_page": p.cfg.PerPage,
	})
	defer p.logger.Info("stopped")
	c := p.connect(ctx)
	if c == nil {
		return nil
	}
	for {
		delay, stop := p.syncOnce(ctx, c)
		if stop || !sleep(ctx, delay) {
			return nil
		}
	}
}

// syncOnce runs one full sync and records its outcome; it returns the delay
// before the next one, or stop when ctx ended during the sync.
func (p *Poller) syncOnce(ctx context.Context, c *client.Client) (delay time.Duration, stop bool) {
	start := time.Now()
	routes, rejects, err := p.fetch(ctx, c)
	p.metrics.duration.Observe(time.Since(start).Seconds())
	if err != nil {
		if ctx.Err() != nil {
			return 0, true
		}
		p.failures++
		p.metrics.syncs.WithLabelValues(resultFailure).Inc()
		delay := backoff(time.Duration(p.cfg.PollInterval), p.failures)
		p.logger.Error("sync-failed", err, p.failureData(p.failures, delay))
		return delay, false
	}
	if p.failures > 0 {
		p.logger.Info("sync-recovered", lager.Data{"failed_syncs": p.failures})
		p.failures = 0
	}
	p.metrics.syncs.WithLabelValues(resultSuccess).Inc()
	p.metrics.lastSuccess.SetToCurrentTime()
	p.metrics.routes.Set(float64(len(routes.Routes)))
	p.metrics.rejected.Set(float64(len(rejects)))
	p.logRejections(rejects)
	p.publishIfChanged(routes)
	return time.Duration(p.cfg.PollInterval), false
}

// fetch lists everything and translates it. go-cfclient dereferences parts
// of a response it does not check (a route list without `included`), so a
// malformed answer can make it panic; fetch turns that into an error rather
// than letting Cloud Controller crash the copilot.
func (p *Poller) fetch(ctx context.Context, c *client.Client) (routes source.DesiredRoutes, rejects []error, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed Cloud Controller response (go-cfclient panicked: %v)", r)
		}
	}()
	routeOpts := client.NewRouteListOptions()
	routeOpts.PerPage = p.cfg.PerPage
	ccRoutes, domains, err := c.Routes.ListIncludeDomainsAll(ctx, routeOpts)
	if err != nil {
		return source.DesiredRoutes{}, nil, fmt.Errorf("listing routes: %w", err)
	}
	processOpts := client.NewProcessOptions()
	processOpts.PerPage = p.cfg.PerPage
	processes, err := c.Processes.ListAll(ctx, processOpts)
	if err != nil {
		return source.DesiredRoutes{}, nil, fmt.Errorf("listing processes: %w", err)
	}
	routes, rejects = cloudcontroller.Translate(ccRoutes, domains, processes)
	return routes, rejects, nil
}

// logRejections logs a dropped route when it is first dropped (or dropped
// for a new reason) and when it stops being dropped, so a bad route logs
// once rather than on every sync.
func (p *Poller) logRejections(rejects []error) {
	current := make(map[string]string, len(rejects))
	for _, err := range rejects {
		var routeErr *cloudcontroller.RouteError
		if !errors.As(err, &routeErr) {
			p.logger.Error("route-rejected", err)
			continue
		}
		current[routeErr.RouteGUID] = routeErr.Reason
		if p.rejected[routeErr.RouteGUID] != routeErr.Reason {
			p.logger.Error("route-rejected", err, lager.Data{"route_guid": routeErr.RouteGUID, "reason": routeErr.Reason})
		}
	}
	for guid := range p.rejected {
		if _, still := current[guid]; !still {
			p.logger.Info("route-no-longer-rejected", lager.Data{"route_guid": guid})
		}
	}
	p.rejected = current
}

func (p *Poller) publishIfChanged(routes source.DesiredRoutes) {
	if p.published && reflect.DeepEqual(p.last, routes) {
		return
	}
	p.logger.Info("routes-published", lager.Data{"routes": len(routes.Routes), "first": !p.published})
	p.publish(routes)
	p.last = routes
	p.published = true
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
