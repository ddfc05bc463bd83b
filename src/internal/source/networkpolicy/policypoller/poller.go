package policypoller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/networkpolicy"
	"code.cloudfoundry.org/cf-mesh/internal/tlsconfig"
)

// maxResponseBytes bounds one policy list: about 300k policies.
const maxResponseBytes = 64 << 20

// maxErrorBodyBytes is how much of a non-200 answer goes into the error.
const maxErrorBodyBytes = 256

// Poller keeps source.NetworkPolicies in step with the policy server.
type Poller struct {
	cfg       Config
	url       string
	logger    lager.Logger
	publish   func(source.NetworkPolicies, bool)
	metrics   *metrics
	transport *http.Transport
	running   atomic.Bool
}

// New validates cfg (after applying its defaults), loads the TLS files
// (the error names the file that fails) and registers the metrics with reg
// (nil: not registered). It does not contact the policy server: Run does.
func New(cfg Config, logger lager.Logger, reg prometheus.Registerer, publish func(policies source.NetworkPolicies, current bool)) (*Poller, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid policy server poller config: %w", err)
	}
	if logger == nil || publish == nil {
		return nil, errors.New("policypoller: a logger and a publish function are required")
	}
	tlsCfg, err := tlsconfig.Client(cfg.TLS)
	if err != nil {
		return nil, fmt.Errorf("policy server client TLS: %w", err)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: time.Duration(cfg.RequestTimeout), KeepAlive: 30 * time.Second}
	return &Poller{
		cfg:     cfg,
		url:     strings.TrimRight(cfg.Address, "/") + networkpolicy.Path,
		logger:  logger.Session("policy-poller"),
		publish: publish,
		metrics: m,
		transport: &http.Transport{
			DialContext:         dialer.DialContext,
			TLSClientConfig:     tlsCfg,
			TLSHandshakeTimeout: time.Duration(cfg.RequestTimeout),
			ForceAttemptHTTP2:   true,
			MaxIdleConns:        1,
			IdleConnTimeout:     2 * time.Duration(cfg.PollInterval),
		},
	}, nil
}

// state is what Run remembers between reads.
type state struct {
	// synced is true once a read succeeded; current while the last read
	// did.
	synced, current bool
	// last is the last published list.
	last source.NetworkPolicies
	// rejected holds the rejected entries of the last good list, so each
	// is logged once.
	rejected map[string]bool
	// failures counts consecutive failed reads.
	failures int
}

// Run reads the policy server every PollInterval until ctx ends; it then
// returns nil. It returns an error only when called a second time.
func (p *Poller) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("policypoller: Run may be called only once")
	}
	defer p.transport.CloseIdleConnections()
	p.logger.Info("starting", lager.Data{"address": p.cfg.Address,
		"poll_interval": p.cfg.PollInterval.String(), "request_timeout": p.cfg.RequestTimeout.String()})
	defer p.logger.Info("stopped")
	s := &state{rejected: map[string]bool{}}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		p.poll(ctx, s)
		timer.Reset(time.Duration(p.cfg.PollInterval))
	}
}

// poll reads once and acts on the outcome.
func (p *Poller) poll(ctx context.Context, s *state) {
	policies, rejected, err := p.read(ctx)
	if ctx.Err() != nil {
		return // shutting down: a read cut short is no failure of the source
	}
	if err != nil {
		p.failed(s, err)
		return
	}
	p.succeeded(s, policies, rejected)
}

// read fetches and decodes the policy list.
func (p *Poller) read(ctx context.Context) (source.NetworkPolicies, []error, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(p.cfg.RequestTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := p.transport.RoundTrip(req)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", p.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBodyBytes))
		return nil, nil, fmt.Errorf("reading %s: the policy server answered %s: %s", p.url, resp.Status, strings.TrimSpace(string(snippet)))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", p.url, err)
	}
	if len(body) > maxResponseBytes {
		return nil, nil, fmt.Errorf("reading %s: the policy list is larger than %d bytes", p.url, maxResponseBytes)
	}
	return networkpolicy.Decode(body)
}

func (p *Poller) succeeded(s *state, policies source.NetworkPolicies, rejected []error) {
	p.metrics.polls.WithLabelValues(resultSuccess).Inc()
	p.metrics.lastSuccess.SetToCurrentTime()
	p.metrics.policies.Set(float64(len(policies)))
	p.metrics.rejected.Set(float64(len(rejected)))
	p.logRejections(s, rejected)
	count := lager.Data{"policies": len(policies), "rejected": len(rejected)}
	switch {
	case !s.synced:
		p.logger.Info("synced", count)
	case !s.current:
		count["failed_polls"] = s.failures
		p.logger.Info("source-back", count)
	case !slices.Equal(s.last, policies):
		p.logger.Info("policies-changed", count)
	default:
		s.failures = 0
		return
	}
	s.synced, s.current, s.last, s.failures = true, true, policies, 0
	p.publish(policies, true)
}

func (p *Poller) failed(s *state, err error) {
	p.metrics.polls.WithLabelValues(resultFailure).Inc()
	s.failures++
	data := lager.Data{"address": p.cfg.Address, "consecutive_failures": s.failures}
	switch {
	case s.synced && s.current:
		data["policies_kept"] = len(s.last)
		p.logger.Error("source-lost", err, data)
		s.current = false
		p.publish(s.last, false)
	case !s.synced && s.failures == 1:
		p.logger.Error("poll-failed", err, data)
	default:
		p.logger.Debug("poll-still-failing", lager.Data{"error": err.Error(), "consecutive_failures": s.failures})
	}
}

// logRejections logs each rejected entry when it first appears in a good
// list; one that stays is not logged again.
func (p *Poller) logRejections(s *state, rejected []error) {
	current := make(map[string]bool, len(rejected))
	for _, err := range rejected {
		var perr *networkpolicy.PolicyError
		if !errors.As(err, &perr) {
			p.logger.Error("policy-rejected", err)
			continue
		}
		key := perr.SourceID + "\x00" + perr.DestinationID + "\x00" + perr.Reason
		current[key] = true
		if !s.rejected[key] {
			p.logger.Error("policy-rejected", err, lager.Data{
				"index": perr.Index, "source_id": perr.SourceID, "destination_id": perr.DestinationID, "reason": perr.Reason,
			})
		}
	}
	s.rejected = current
}
