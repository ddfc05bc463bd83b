package lifecycle

import (
	"errors"
	"fmt"
	"net"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/tlsconfig"
)

// DefaultDebounce is how long changes must be quiet before a process
// rebuilds what it serves.
const DefaultDebounce = 100 * time.Millisecond

// ProcessConfig is what every cf-mesh process's configuration file has.
// Embedded in a process's Config, its fields sit at the top level of the
// JSON.
type ProcessConfig struct {
	// Debounce is how long changes must be quiet before the process
	// rebuilds (copilot: source changes; pilot: MCP updates, a new route
	// arrives as three collections, when the copilot sends no build
	// marker, ADR 18); default 100ms.
	Debounce jsonduration.Duration `json:"debounce"`
	// StatusAddress serves /metrics, /healthz, /readyz and the debug APIs;
	// it must be loopback (debug APIs show routes and proxy identities) and
	// defaults to a loopback address per process.
	StatusAddress string `json:"status_address"`
	// MetricsAddress, when set, serves only /metrics, /healthz and /readyz,
	// on any interface, for a Prometheus scraper or load balancer check.
	MetricsAddress string `json:"metrics_address,omitempty"`
	// LogLevel is debug, info (default), error or fatal.
	LogLevel string `json:"log_level"`
}

// WithDefaults fills empty fields; statusAddress is the process's default.
func (p ProcessConfig) WithDefaults(statusAddress string) ProcessConfig {
	if p.Debounce == 0 {
		p.Debounce = jsonduration.Duration(DefaultDebounce)
	}
	if p.StatusAddress == "" {
		p.StatusAddress = statusAddress
	}
	return p
}

// Validate reports every problem, naming the field.
func (p ProcessConfig) Validate() error {
	var errs []error
	if p.Debounce < 0 {
		errs = append(errs, errors.New("debounce: must not be negative"))
	}
	if err := tlsconfig.CheckLoopback(p.StatusAddress); err != nil {
		errs = append(errs, fmt.Errorf("status_address: %w; debug APIs stay on loopback, set metrics_address to scrape metrics from another host", err))
	}
	if p.MetricsAddress != "" {
		if _, _, err := net.SplitHostPort(p.MetricsAddress); err != nil {
			errs = append(errs, fmt.Errorf("metrics_address: %q is not host:port", p.MetricsAddress))
		}
	}
	if _, err := ParseLogLevel(p.LogLevel); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Level is the configured log level.
func (p ProcessConfig) Level() string { return p.LogLevel }
