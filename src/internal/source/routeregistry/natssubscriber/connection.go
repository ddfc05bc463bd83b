package natssubscriber

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/nats-io/nats.go"
)

// pingInterval is how often the client checks a quiet connection (gorouter
// and route_registrar use 20s; nats.go's default is 2 minutes).
const pingInterval = 20 * time.Second

// natsOptions wires nats.go's connection callbacks to Run's loop. Callbacks
// run on nats.go's single callback goroutine, in order; once Run's loop has
// exited (done), state changes are dropped.
func (s *Subscriber) natsOptions(events chan<- connEvent, closed chan<- struct{}, done <-chan struct{}) []nats.Option {
	send := func(ev connEvent) {
		select {
		case events <- ev:
		case <-done:
		}
	}
	opts := []nats.Option{
		nats.Name("cf-mesh-copilot"),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(s.cfg.ReconnectWait.Std()),
		nats.PingInterval(pingInterval),
		nats.DrainTimeout(drainTimeout),
		nats.ConnectHandler(func(*nats.Conn) { send(eventConnected) }),
		nats.ReconnectHandler(func(*nats.Conn) { send(eventReconnected) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				s.logger.Error("nats-connection-lost", err)
			}
			send(eventDisconnected)
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			data := lager.Data{}
			if sub != nil {
				data["subject"] = sub.Subject
			}
			s.logger.Error("nats-async-error", err, data)
		}),
	}
	if s.cfg.User != "" {
		opts = append(opts, nats.UserInfo(s.cfg.User, s.cfg.Password))
	}
	if s.tlsConfig != nil {
		opts = append(opts, nats.Secure(s.tlsConfig))
	}
	return opts
}

// loadTLSConfig builds the client TLS config from the CA and client
// certificate files, or returns nil when none is configured.
func loadTLSConfig(cfg Config) (*tls.Config, error) {
	if cfg.CACertFile == "" && cfg.CertFile == "" {
		return nil, nil
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CACertFile != "" {
		pem, err := os.ReadFile(cfg.CACertFile)
		if err != nil {
			return nil, fmt.Errorf("ca_cert_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_cert_file %s: no PEM certificate found", cfg.CACertFile)
		}
		tlsConfig.RootCAs = pool
	}
	if cfg.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			// crypto/tls errors name the files, never their content.
			return nil, fmt.Errorf("cert_file %s, key_file %s: %w", cfg.CertFile, cfg.KeyFile, err)
		}
		tlsConfig.Certificates = []tls.Certificate{cert}
	}
	return tlsConfig, nil
}

func redactedServers(servers []string) []string {
	out := make([]string, 0, len(servers))
	for _, server := range servers {
		out = append(out, redactURL(server))
	}
	return out
}
