package ccpoller

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/cloudfoundry/go-cfclient/v3/client"
	"github.com/cloudfoundry/go-cfclient/v3/config"
)

const userAgent = "cf-mesh-copilot"

// newTransport builds the HTTP transport for Cloud Controller and UAA,
// trusting the system roots plus cfg.CACertFile.
func newTransport(cfg Config) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CACertFile == "" {
		return t, nil
	}
	pem, err := os.ReadFile(cfg.CACertFile)
	if err != nil {
		return nil, fmt.Errorf("reading ca_cert_file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca_cert_file %s holds no PEM certificate", cfg.CACertFile)
	}
	t.TLSClientConfig.RootCAs = pool
	return t, nil
}

// newClient builds go-cfclient. config.New reads the API root to find UAA,
// so this fails while Cloud Controller is unreachable.
func (p *Poller) newClient() (*client.Client, error) {
	opts := []config.Option{
		config.ClientCredentials(p.cfg.ClientID, p.cfg.ClientSecret),
		config.HttpClient(&http.Client{Transport: p.transport}),
		config.RequestTimeout(time.Duration(p.cfg.RequestTimeout)),
		config.UserAgent(userAgent),
	}
	if p.cfg.SkipTLSValidation {
		opts = append(opts, config.SkipTLSValidation())
	}
	cfg, err := config.New(p.cfg.APIURL, opts...)
	if err != nil {
		return nil, fmt.Errorf("configuring the Cloud Controller client: %w", err)
	}
	return client.New(cfg)
}

// connect builds the client, retrying with backoff until it succeeds or ctx
// ends (then it returns nil). Each attempt runs in its own goroutine because
// config.New does not take a context: Run can then return as soon as ctx
// ends, and the abandoned attempt ends within RequestTimeout.
func (p *Poller) connect(ctx context.Context) *client.Client {
	for attempt := 1; ; attempt++ {
		type result struct {
			c   *client.Client
			err error
		}
		done := make(chan result, 1)
		go func() {
			c, err := p.newClient()
			done <- result{c, err}
		}()
		var r result
		select {
		case r = <-done:
		case <-ctx.Done():
			return nil
		}
		if r.err == nil {
			p.logger.Info("connected", p.connectedData(attempt))
			return r.c
		}
		p.metrics.syncs.WithLabelValues(resultFailure).Inc()
		delay := backoff(time.Duration(p.cfg.PollInterval), attempt)
		p.logger.Error("connect-failed", r.err, p.failureData(attempt, delay))
		if !sleep(ctx, delay) {
			return nil
		}
	}
}
