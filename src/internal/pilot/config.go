package pilot

import (
	"errors"
	"fmt"
	"io"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpclient"
	"code.cloudfoundry.org/cf-mesh/internal/tlsconfig"
)

// Config is the pilot's configuration file, rendered as JSON by the pilot
// BOSH job.
type Config struct {
	// Copilot says where to get mesh configuration.
	Copilot mcpclient.Config `json:"copilot"`
	// CopilotTLS is the client certificate for the copilot's mutual TLS.
	// Empty means plaintext, allowed only to loopback copilots.
	CopilotTLS tlsconfig.Files `json:"copilot_tls"`
	// XDS is where proxies connect.
	XDS XDSConfig `json:"xds"`
	// Gateway tunes ingress gateway listeners.
	Gateway GatewayConfig `json:"gateway"`
	// ProcessConfig holds debounce, status_address and log_level.
	lifecycle.ProcessConfig
}

// XDSConfig is the xDS listener.
type XDSConfig struct {
	// ListenAddress is host:port; default 127.0.0.1:15010.
	ListenAddress string `json:"listen_address"`
	// TLS is the server certificate; clients must present one signed by its
	// CA. Empty means plaintext, allowed only on loopback.
	TLS tlsconfig.Files `json:"tls"`
}

// GatewayConfig tunes the resources gateways get.
type GatewayConfig struct {
	// BindAddress is the address gateway listeners bind; default 0.0.0.0.
	BindAddress string `json:"bind_address"`
	// ConnectTimeout is the upstream connect timeout; default 1s.
	ConnectTimeout jsonduration.Duration `json:"connect_timeout"`
}

// Defaults.
const (
	DefaultXDSAddress    = "127.0.0.1:15010"
	DefaultStatusAddress = "127.0.0.1:15014"
)

// Load reads, defaults and validates a configuration file.
func Load(path string) (Config, error) {
	return lifecycle.LoadConfig[Config]("pilot", path)
}

// Parse reads a configuration, rejecting unknown fields, then applies
// defaults and validates it.
func Parse(r io.Reader) (Config, error) {
	return lifecycle.ParseConfig[Config]("pilot", r)
}

// WithDefaults fills empty fields.
func (c Config) WithDefaults() Config {
	c.ProcessConfig = c.ProcessConfig.WithDefaults(DefaultStatusAddress)
	c.Copilot = c.Copilot.WithDefaults()
	if c.XDS.ListenAddress == "" {
		c.XDS.ListenAddress = DefaultXDSAddress
	}
	return c
}

// Validate reports every problem, naming the field.
func (c Config) Validate() error {
	var errs []error
	if err := c.Copilot.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("copilot: %w", err))
	}
	errs = append(errs, tlsconfig.ValidateEndpoint("copilot_tls", c.CopilotTLS, c.Copilot.Addresses...))
	errs = append(errs, tlsconfig.ValidateEndpoint("xds.tls", c.XDS.TLS, c.XDS.ListenAddress))
	errs = append(errs, c.ProcessConfig.Validate())
	return errors.Join(errs...)
}
