package ccpoller

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
)

// Defaults for Config fields left zero.
const (
	DefaultPollInterval   = 10 * time.Second
	DefaultRequestTimeout = 30 * time.Second
	// DefaultPerPage is Cloud Controller's largest page.
	DefaultPerPage = 5000
	maxPerPage     = 5000
)

// Config configures a Poller. BOSH renders it as JSON; durations are Go
// duration strings ("10s").
type Config struct {
	// APIURL is the Cloud Controller API root, e.g. https://api.sys.example.com.
	// UAA is found through its `links.uaa`.
	APIURL string `json:"api_url"`
	// ClientID and ClientSecret are a UAA client with the client_credentials
	// grant and cloud_controller.admin_read_only (or global_auditor).
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"` // never logged
	// CACertFile is an optional PEM bundle trusted, in addition to the
	// system roots, for Cloud Controller's and UAA's TLS.
	CACertFile string `json:"ca_cert_file"`
	// SkipTLSValidation disables certificate checks (development only).
	SkipTLSValidation bool `json:"skip_tls_validation"`
	// PollInterval is the time between full syncs. Default 10s.
	PollInterval jsonduration.Duration `json:"poll_interval"`
	// RequestTimeout bounds each HTTP request to Cloud Controller or UAA.
	// Default 30s.
	RequestTimeout jsonduration.Duration `json:"request_timeout"`
	// PerPage is the page size for listing routes and processes, 1..5000.
	// Default 5000.
	PerPage int `json:"per_page"`
}

// WithDefaults returns c with every zero field that has a default set to it.
func (c Config) WithDefaults() Config {
	if c.PollInterval == 0 {
		c.PollInterval = jsonduration.Duration(DefaultPollInterval)
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = jsonduration.Duration(DefaultRequestTimeout)
	}
	if c.PerPage == 0 {
		c.PerPage = DefaultPerPage
	}
	return c
}

// Validate reports every problem with c. Zero values of fields that have a
// default are valid.
func (c Config) Validate() error {
	var problems []error
	if err := validateAPIURL(c.APIURL); err != nil {
		problems = append(problems, err)
	}
	if strings.TrimSpace(c.ClientID) == "" {
		problems = append(problems, errors.New("client_id is required"))
	}
	if strings.TrimSpace(c.ClientSecret) == "" {
		problems = append(problems, errors.New("client_secret is required"))
	}
	if c.PollInterval < 0 {
		problems = append(problems, fmt.Errorf("poll_interval %s must be positive", c.PollInterval))
	}
	if c.RequestTimeout < 0 {
		problems = append(problems, fmt.Errorf("request_timeout %s must be positive", c.RequestTimeout))
	}
	if c.PerPage < 0 || c.PerPage > maxPerPage {
		problems = append(problems, fmt.Errorf("per_page %d must be between 1 and %d", c.PerPage, maxPerPage))
	}
	return errors.Join(problems...)
}

func validateAPIURL(raw string) error {
	if raw == "" {
		return errors.New("api_url is required")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("api_url is not a URL: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("api_url %q must be an http or https URL", raw)
	case u.Host == "":
		return fmt.Errorf("api_url %q has no host", raw)
	case u.User != nil:
		return errors.New("api_url must not carry credentials; use client_id and client_secret")
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("api_url %q must not have a query or fragment", raw)
	}
	return nil
}
