package copilot

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver"
	"code.cloudfoundry.org/cf-mesh/internal/meshconfig"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller/ccpoller"
	"code.cloudfoundry.org/cf-mesh/internal/source/networkpolicy/policypoller"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
	"code.cloudfoundry.org/cf-mesh/internal/tlsconfig"
)

// Config is the copilot's configuration file, rendered as JSON by the
// copilot BOSH job. Exactly one route source is configured.
type Config struct {
	// CloudController reads routes from a Cloud Controller v3 API.
	CloudController *ccpoller.Config `json:"cloud_controller,omitempty"`
	// RoutesFile reads routes from a YAML file (the local foundation).
	RoutesFile *RoutesFileConfig `json:"routes_file,omitempty"`
	// NetworkPolicies reads cf-networking's container-to-container
	// policies from the policy server's internal API. Unset: no policy
	// server is read.
	NetworkPolicies *policypoller.Config `json:"network_policies,omitempty"`
	// NATS is where route registrations arrive.
	NATS natssubscriber.Config `json:"nats"`
	// MCP is where pilots connect.
	MCP MCPConfig `json:"mcp"`
	// Mesh tunes the compiled mesh configuration.
	Mesh MeshConfig `json:"mesh"`
	// ProcessConfig holds debounce, status_address and log_level.
	lifecycle.ProcessConfig
}

// RoutesFileConfig names the route file and how often to look for changes.
type RoutesFileConfig struct {
	Path string `json:"path"`
	// PollInterval defaults to 1s.
	PollInterval jsonduration.Duration `json:"poll_interval"`
}

// MCPConfig is the MCP listener.
type MCPConfig struct {
	// ListenAddress is host:port; default 127.0.0.1:9009.
	ListenAddress string `json:"listen_address"`
	// TLS is the server certificate; pilots must present one signed by its
	// CA. Empty means plaintext, allowed only on loopback.
	TLS tlsconfig.Files `json:"tls"`
	// GRPC holds message size limits and keepalives.
	GRPC mcpserver.GRPCConfig `json:"grpc"`
}

// MeshConfig tunes compilation.
type MeshConfig struct {
	// GatewayHTTPPort is the ingress gateway's HTTP port; default 80.
	GatewayHTTPPort uint32 `json:"gateway_http_port"`
	// GatewayHTTPSPort is the ingress gateway's HTTPS port; default 443.
	GatewayHTTPSPort uint32 `json:"gateway_https_port"`
	// FrontendCertificates are the operator's certificates the gateway
	// terminates TLS with. The copilot reads only the certificate (for its
	// DNS SANs, the hosts it serves); the key stays on the gateway.
	FrontendCertificates []FrontendCertificateFile `json:"frontend_certificates"`
	// InternalDomains are mesh-only domains; default ["apps.internal"].
	InternalDomains []string `json:"internal_domains"`
	// ContainerNetwork is the container overlay network's CIDR (silk's
	// `network`); callers from outside it (the ingress gateway, gorouter)
	// reach apps by route, not by mesh policy. Default 10.255.0.0/16.
	ContainerNetwork string `json:"container_network"`
}

// FrontendCertificateFile names a frontend certificate and its PEM file.
type FrontendCertificateFile struct {
	// Name is a DNS label; the gateway job serves the key pair under it.
	Name     string `json:"name"`
	CertFile string `json:"cert_file"`
}

// Defaults.
const (
	// DefaultContainerNetwork is silk's default overlay network.
	DefaultContainerNetwork = "10.255.0.0/16"
	DefaultMCPAddress       = "127.0.0.1:9009"
	DefaultStatusAddress    = "127.0.0.1:9014"
	DefaultRoutesFilePoll   = time.Second
	DefaultGatewayHTTPPort  = 80
	maxPort                 = 65535
)

// Load reads, defaults and validates a configuration file.
func Load(path string) (Config, error) {
	return lifecycle.LoadConfig[Config]("copilot", path)
}

// Parse reads a configuration, rejecting unknown fields, then applies
// defaults and validates it.
func Parse(r io.Reader) (Config, error) {
	return lifecycle.ParseConfig[Config]("copilot", r)
}

// WithDefaults fills empty fields.
func (c Config) WithDefaults() Config {
	c.ProcessConfig = c.ProcessConfig.WithDefaults(DefaultStatusAddress)
	if c.CloudController != nil {
		cc := c.CloudController.WithDefaults()
		c.CloudController = &cc
	}
	if c.NetworkPolicies != nil {
		np := c.NetworkPolicies.WithDefaults()
		c.NetworkPolicies = &np
	}
	if c.RoutesFile != nil && c.RoutesFile.PollInterval == 0 {
		rf := *c.RoutesFile
		rf.PollInterval = jsonduration.Duration(DefaultRoutesFilePoll)
		c.RoutesFile = &rf
	}
	c.NATS = c.NATS.WithDefaults()
	if c.MCP.ListenAddress == "" {
		c.MCP.ListenAddress = DefaultMCPAddress
	}
	c.MCP.GRPC = c.MCP.GRPC.WithDefaults()
	if c.Mesh.GatewayHTTPPort == 0 {
		c.Mesh.GatewayHTTPPort = DefaultGatewayHTTPPort
	}
	if c.Mesh.GatewayHTTPSPort == 0 {
		c.Mesh.GatewayHTTPSPort = meshconfig.DefaultGatewayHTTPSPort
	}
	if c.Mesh.ContainerNetwork == "" {
		c.Mesh.ContainerNetwork = DefaultContainerNetwork
	}
	if c.Mesh.InternalDomains == nil {
		c.Mesh.InternalDomains = append([]string(nil), meshconfig.DefaultInternalDomains...)
	}
	return c
}

// Validate reports every problem, naming the field.
func (c Config) Validate() error {
	var errs []error
	switch {
	case c.CloudController == nil && c.RoutesFile == nil:
		errs = append(errs, errors.New("one route source is required: cloud_controller or routes_file"))
	case c.CloudController != nil && c.RoutesFile != nil:
		errs = append(errs, errors.New("cloud_controller and routes_file are exclusive: configure one route source"))
	case c.CloudController != nil:
		if err := c.CloudController.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("cloud_controller: %w", err))
		}
	case c.RoutesFile.Path == "":
		errs = append(errs, errors.New("routes_file.path: required"))
	}
	if c.NetworkPolicies != nil {
		if err := c.NetworkPolicies.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("network_policies: %w", err))
		}
	}
	if err := c.NATS.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("nats: %w", err))
	}
	errs = append(errs, tlsconfig.ValidateEndpoint("mcp.tls", c.MCP.TLS, c.MCP.ListenAddress))
	if err := c.MCP.GRPC.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("mcp.grpc: %w", err))
	}
	if _, err := netip.ParsePrefix(c.Mesh.ContainerNetwork); err != nil {
		errs = append(errs, fmt.Errorf("mesh.container_network: %q is not a CIDR", c.Mesh.ContainerNetwork))
	}
	for field, port := range map[string]uint32{"gateway_http_port": c.Mesh.GatewayHTTPPort, "gateway_https_port": c.Mesh.GatewayHTTPSPort} {
		if port > maxPort {
			errs = append(errs, fmt.Errorf("mesh.%s: %d is not a port", field, port))
		}
	}
	for i, f := range c.Mesh.FrontendCertificates {
		if f.Name == "" || f.CertFile == "" {
			errs = append(errs, fmt.Errorf("mesh.frontend_certificates[%d]: name and cert_file are required", i))
		}
	}
	errs = append(errs, c.ProcessConfig.Validate())
	return errors.Join(errs...)
}

// read loads the certificate and its hosts.
func (f FrontendCertificateFile) read() (meshconfig.FrontendCertificate, error) {
	chain, err := os.ReadFile(f.CertFile)
	if err != nil {
		return meshconfig.FrontendCertificate{}, err
	}
	return meshconfig.FrontendCertificateFromPEM(f.Name, chain)
}

// compileOptions are the mesh options the configuration describes.
func (m MeshConfig) compileOptions() (meshconfig.Options, error) {
	opts := meshconfig.Options{
		GatewayHTTPPort:  m.GatewayHTTPPort,
		GatewayHTTPSPort: m.GatewayHTTPSPort,
		InternalDomains:  m.InternalDomains,
		ContainerNetwork: m.ContainerNetwork,
	}
	for i, f := range m.FrontendCertificates {
		cert, err := f.read()
		if err != nil {
			return meshconfig.Options{}, fmt.Errorf("mesh.frontend_certificates[%d]: %w", i, err)
		}
		opts.FrontendCertificates = append(opts.FrontendCertificates, cert)
	}
	return opts, nil
}
