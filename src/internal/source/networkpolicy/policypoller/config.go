package policypoller

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/tlsconfig"
)

// Defaults for Config fields left zero.
const (
	// DefaultAddress is where cf-deployment runs the policy server's
	// internal API (policy-server-internal, internal_listen_port 4003).
	DefaultAddress = "https://policy-server.service.cf.internal:4003"
	// DefaultPollInterval matches the vxlan-policy-agent's poll of the same
	// API, so the copilot adds one agent's worth of load.
	DefaultPollInterval   = 5 * time.Second
	DefaultRequestTimeout = 5 * time.Second
)

// Config configures a Poller. BOSH renders it as JSON (the copilot's
// `network_policies`); durations are Go duration strings ("5s").
type Config struct {
	// Address is the internal API's base URL, https only.
	// Default DefaultAddress.
	Address string `json:"address"`
	// TLS is the copilot's client certificate and key, signed by the CA the
	// policy server trusts (its `ca_cert`, cf-deployment's
	// network_policy_ca), and the CA that verifies the server. All three are
	// required: the internal API is mutual TLS only. The server's name is
	// Address's host unless TLS.ServerName says otherwise.
	TLS tlsconfig.Files `json:"tls"`
	// PollInterval is the time between reads of the policy list.
	// Default 5s.
	PollInterval jsonduration.Duration `json:"poll_interval"`
	// RequestTimeout bounds each read, connecting included. Default 5s.
	RequestTimeout jsonduration.Duration `json:"request_timeout"`
}

// WithDefaults returns c with its zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Address == "" {
		c.Address = DefaultAddress
	}
	if c.PollInterval == 0 {
		c.PollInterval = jsonduration.Duration(DefaultPollInterval)
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = jsonduration.Duration(DefaultRequestTimeout)
	}
	return c
}

// Validate reports every problem with c, naming the field. Zero values of
// fields that have a default are valid; whether the TLS files can be read
// is found out by New.
func (c Config) Validate() error {
	var errs []error
	if c.Address != "" {
		if err := validateAddress(c.Address); err != nil {
			errs = append(errs, err)
		}
	}
	if err := c.TLS.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("tls: %w (the policy server's internal API is mutual TLS only)", err))
	}
	for _, d := range []struct {
		name  string
		value jsonduration.Duration
	}{{"poll_interval", c.PollInterval}, {"request_timeout", c.RequestTimeout}} {
		if d.value < 0 {
			errs = append(errs, fmt.Errorf("%s %s must be positive", d.name, d.value))
		}
	}
	return errors.Join(errs...)
}

func validateAddress(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("address is not a URL: %w", err)
	case u.Scheme != "https":
		return fmt.Errorf("address %q must be an https URL (the internal API is mutual TLS only)", raw)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("address %q has no host", raw)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/"):
		return fmt.Errorf("address %q must be scheme://host[:port] only", raw)
	}
	return nil
}
