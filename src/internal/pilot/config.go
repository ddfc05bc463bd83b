package pilot

import (
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpclient"
	"code.cloudfoundry.org/cf-mesh/internal/tlsconfig"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
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
	// Containers is the cell-local xDS listener for Diego's container
	// sidecars and proxyless gRPC apps.
	Containers ContainersConfig `json:"containers"`
	// Mesh tunes container-to-container traffic.
	Mesh MeshConfig `json:"mesh"`
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

// ContainersConfig is the listener Diego's `containers.proxy.ads_addresses`
// points at. It is plaintext, as the executor's bootstrap has no TLS to its
// ADS servers, and accepts container sidecars and proxyless gRPC apps only,
// each from the container IP its node ID names (ADR 13).
type ContainersConfig struct {
	// ListenAddress is host:port; empty serves no containers (a pilot for
	// gateways only).
	ListenAddress string `json:"listen_address"`
}

// MeshConfig tunes what container sidecars and proxyless gRPC apps get.
type MeshConfig struct {
	// MTLS makes internal-route traffic mutual TLS under policy
	// (enable-app-mtls).
	MTLS bool `json:"mtls"`
	// InstanceIdentityCAFile is the PEM file of the CA that signs Diego's
	// instance identity certificates; required with mtls.
	InstanceIdentityCAFile string `json:"instance_identity_ca_file"`
	// ContainerConfigDirectory is where Diego writes a container's SDS
	// files, as the container sees it; default /etc/cf-assets/envoy_config.
	ContainerConfigDirectory string `json:"container_config_directory"`
	// CertificateProvider names the certificate provider instance of a
	// proxyless gRPC app's bootstrap; default "default".
	CertificateProvider string `json:"certificate_provider"`
	// AccessLogPath, when set, is where container sidecars log each
	// outbound request (`/dev/stdout`: the app's logs); default none.
	AccessLogPath string `json:"access_log_path"`
}

func (m MeshConfig) validate() error {
	var errs []error
	if m.MTLS && m.InstanceIdentityCAFile == "" {
		errs = append(errs, errors.New("mesh.instance_identity_ca_file: required with mesh.mtls"))
	}
	for field, path := range map[string]string{"instance_identity_ca_file": m.InstanceIdentityCAFile, "container_config_directory": m.ContainerConfigDirectory, "access_log_path": m.AccessLogPath} {
		if path != "" && !filepath.IsAbs(path) {
			errs = append(errs, fmt.Errorf("mesh.%s: %q must be an absolute path", field, path))
		}
	}
	return errors.Join(errs...)
}

// meshOptions reads the instance identity CA the mesh options need.
func (m MeshConfig) meshOptions() (xdsresources.MeshOptions, error) {
	opts := xdsresources.MeshOptions{
		MTLS: m.MTLS, ContainerConfigDirectory: m.ContainerConfigDirectory,
		CertificateProvider: m.CertificateProvider, AccessLogPath: m.AccessLogPath,
	}
	if m.InstanceIdentityCAFile == "" {
		return opts, nil
	}
	ca, err := os.ReadFile(m.InstanceIdentityCAFile)
	if err != nil {
		return opts, fmt.Errorf("mesh.instance_identity_ca_file: %w", err)
	}
	if block, _ := pem.Decode(ca); block == nil || block.Type != "CERTIFICATE" {
		return opts, fmt.Errorf("mesh.instance_identity_ca_file: %s holds no PEM certificate", m.InstanceIdentityCAFile)
	}
	opts.InstanceIdentityCA = string(ca)
	return opts, nil
}

// GatewayConfig tunes the resources gateways get.
type GatewayConfig struct {
	// BindAddress is the address gateway listeners bind; default 0.0.0.0.
	BindAddress string `json:"bind_address"`
	// ConnectTimeout is the upstream connect timeout; default 1s.
	ConnectTimeout jsonduration.Duration `json:"connect_timeout"`
	// RequestTimeout is a route's timeout unless its annotations set one;
	// default 900s (gorouter's request_timeout_in_seconds).
	RequestTimeout jsonduration.Duration `json:"request_timeout"`
	// SecretsDirectory is where the gateway job renders its SDS files;
	// default /var/vcap/jobs/gateway/config/sds (ADR 10).
	SecretsDirectory string `json:"secrets_directory"`
	// UpstreamClientSecret and UpstreamCASecret name the SDS files of the
	// client certificate gateways present to container proxies and of the
	// instance identity CA that verifies them; defaults upstream-client and
	// instance-identity-ca.
	UpstreamClientSecret string `json:"upstream_client_secret"`
	UpstreamCASecret     string `json:"upstream_ca_secret"`
	// AccessLogPath receives one JSON line per request; default stdout.
	AccessLogPath string `json:"access_log_path"`
	// Tracing turns on tracing to the gateway bootstrap's collector.
	Tracing TracingConfig `json:"tracing"`
}

// TracingConfig names the collector cluster the gateway's bootstrap
// defines; tracing is off without one.
type TracingConfig struct {
	// Provider is zipkin (default) or opentelemetry.
	Provider string `json:"provider"`
	// CollectorCluster is the bootstrap's static cluster for the collector.
	CollectorCluster string `json:"collector_cluster"`
	// SamplingPercent of requests start a trace; default 1.
	SamplingPercent float64 `json:"sampling_percent"`
}

// translationOptions are the xDS options the configuration describes.
func (g GatewayConfig) translationOptions() xdsresources.Options {
	return xdsresources.Options{
		GatewayBindAddress:   g.BindAddress,
		ConnectTimeout:       g.ConnectTimeout.Std(),
		RequestTimeout:       g.RequestTimeout.Std(),
		SecretsDirectory:     g.SecretsDirectory,
		UpstreamClientSecret: g.UpstreamClientSecret,
		UpstreamCASecret:     g.UpstreamCASecret,
		AccessLogPath:        g.AccessLogPath,
		Tracing: xdsresources.Tracing{
			Provider: g.Tracing.Provider, CollectorCluster: g.Tracing.CollectorCluster, SamplingPercent: g.Tracing.SamplingPercent,
		},
	}.WithDefaults()
}

// validate reports every problem of the gateway settings.
func (g GatewayConfig) validate() error {
	var errs []error
	if g.ConnectTimeout < 0 || g.RequestTimeout < 0 {
		errs = append(errs, errors.New("gateway: connect_timeout and request_timeout must not be negative"))
	}
	switch g.Tracing.Provider {
	case "", "zipkin", "opentelemetry":
	default:
		errs = append(errs, fmt.Errorf("gateway.tracing.provider: %q is neither zipkin nor opentelemetry", g.Tracing.Provider))
	}
	if g.Tracing.SamplingPercent < 0 || g.Tracing.SamplingPercent > 100 {
		errs = append(errs, fmt.Errorf("gateway.tracing.sampling_percent: %v is not a percentage", g.Tracing.SamplingPercent))
	}
	if g.SecretsDirectory != "" && !filepath.IsAbs(g.SecretsDirectory) {
		errs = append(errs, fmt.Errorf("gateway.secrets_directory: %q must be an absolute path", g.SecretsDirectory))
	}
	return errors.Join(errs...)
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
	errs = append(errs, c.ProcessConfig.Validate(), c.Gateway.validate(), c.Mesh.validate())
	if a := c.Containers.ListenAddress; a != "" {
		if _, _, err := net.SplitHostPort(a); err != nil {
			errs = append(errs, fmt.Errorf("containers.listen_address: %q is not host:port", a))
		}
	}
	return errors.Join(errs...)
}
