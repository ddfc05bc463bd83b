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

// clients are the go-cfclient clients the poller uses: one for the event
// loop, one for the full sync that lists beside it. go-cfclient's
// re-authentication on a 401 swaps the token source of its transport
// without a lock, so a client must not serve two goroutines at once.
type clients struct {
	events, sync *client.Client
}

// newClients builds both clients.
func (p *Poller) newClients() (clients, error) {
	events, err := p.newClient()
	if err != nil {
		return clients{}, err
	}
	sync, err := p.newClient()
	if err != nil {
		return clients{}, err
	}
	return clients{events: events, sync: sync}, nil
}

// connect builds the clients, retrying with backoff until it succeeds or
// ctx ends (then ok is false). Each attempt runs in its own goroutine
// because config.New does not take a context: Run can then return as soon
// as ctx ends, and the abandoned attempt ends within RequestTimeout.
func (p *Poller) connect(ctx context.Context) (cs clients, ok bool) {
	for attempt := 1; ; attempt++ {
		type result struct {
			cs  clients
			err error
		}
		done := make(chan result, 1)
		go func() {
			cs, err := p.newClients()
			done <- result{cs, err}
		}()
		var r result
		select {
		case r = <-done:
		case <-ctx.Done():
			return clients{}, false
		}
		if r.err == nil {
			p.logger.Info("connected", p.connectedData(attempt))
			return r.cs, true
		}
		p.metrics.syncs.WithLabelValues(resultFailure).Inc()
		delay := backoff(time.Duration(p.cfg.EventPollInterval), attempt)
		p.logger.Error("connect-failed", r.err, p.failureData(attempt, delay))
		if !sleep(ctx, delay) {
			return clients{}, false
		}
	}
}
