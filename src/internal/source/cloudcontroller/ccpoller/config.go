package ccpoller

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
)

// Defaults for Config fields left zero, and limits.
const (
	// DefaultEventPollInterval is how often the poller reads new audit
	// events: the bulk of the change → routing-table latency.
	DefaultEventPollInterval = time.Second
	// DefaultFullSyncInterval is how often the poller lists everything, to
	// catch what events missed.
	DefaultFullSyncInterval = 5 * time.Minute
	// MaxFullSyncInterval bounds full_sync_interval well inside Cloud
	// Controller's audit event retention (cc.audit_events.cutoff_age_in_days,
	// 31 days by default): an event cursor older than a full sync interval
	// is dropped for a full sync, so it never points at purged events.
	MaxFullSyncInterval = 24 * time.Hour
	// DefaultEventLookback is how far before the newest event seen each
	// event read starts again, for events committed late (see ADR 8).
	DefaultEventLookback  = 5 * time.Second
	maxEventLookback      = time.Minute
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
	// EventPollInterval is the time between reads of new audit events.
	// Default 1s.
	EventPollInterval jsonduration.Duration `json:"event_poll_interval"`
	// FullSyncInterval is the time between full syncs, at most 24h.
	// Default 5m, or PollInterval when only that is set.
	FullSyncInterval jsonduration.Duration `json:"full_sync_interval"`
	// PollInterval is the full sync interval of releases that had no event
	// polling. Deprecated: set FullSyncInterval; setting both is an error.
	PollInterval jsonduration.Duration `json:"poll_interval,omitempty"`
	// EventLookback is how far before the newest event seen each event read
	// starts again, at most 1m. Default 5s.
	EventLookback jsonduration.Duration `json:"event_lookback"`
	// RequestTimeout bounds each HTTP request to Cloud Controller or UAA.
	// Default 30s.
	RequestTimeout jsonduration.Duration `json:"request_timeout"`
	// PerPage is the page size for listing routes, processes, apps and
	// spaces, 1..5000. Default 5000. (Audit events are always read 5000 at
	// a time.)
	PerPage int `json:"per_page"`
}

// WithDefaults returns c with every zero field that has a default set to it.
func (c Config) WithDefaults() Config {
	if c.EventPollInterval == 0 {
		c.EventPollInterval = jsonduration.Duration(DefaultEventPollInterval)
	}
	if c.FullSyncInterval == 0 {
		c.FullSyncInterval = c.PollInterval
	}
	if c.FullSyncInterval == 0 {
		c.FullSyncInterval = jsonduration.Duration(DefaultFullSyncInterval)
	}
	if c.EventLookback == 0 {
		c.EventLookback = jsonduration.Duration(DefaultEventLookback)
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
	for _, d := range []struct {
		name     string
		value    jsonduration.Duration
		max      time.Duration
		maxLabel string
	}{
		{"event_poll_interval", c.EventPollInterval, 0, ""},
		{"full_sync_interval", c.FullSyncInterval, MaxFullSyncInterval, "24h"},
		{"poll_interval", c.PollInterval, MaxFullSyncInterval, "24h"},
		{"event_lookback", c.EventLookback, maxEventLookback, "1m"},
		{"request_timeout", c.RequestTimeout, 0, ""},
	} {
		switch {
		case d.value < 0:
			problems = append(problems, fmt.Errorf("%s %s must be positive", d.name, d.value))
		case d.max > 0 && time.Duration(d.value) > d.max:
			problems = append(problems, fmt.Errorf("%s %s must be at most %s", d.name, d.value, d.maxLabel))
		}
	}
	if c.PollInterval != 0 && c.FullSyncInterval != 0 && c.PollInterval != c.FullSyncInterval {
		problems = append(problems, errors.New("poll_interval is the deprecated name of full_sync_interval; set only full_sync_interval"))
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

// staleCursorAfter is how long event polls may fail before the event
// cursor is dropped for a full sync: a full sync interval, but at least ten
// poll intervals. It keeps the cursor far younger than Cloud Controller's
// event retention.
func (c Config) staleCursorAfter() time.Duration {
	return max(time.Duration(c.FullSyncInterval), 10*time.Duration(c.EventPollInterval))
}
