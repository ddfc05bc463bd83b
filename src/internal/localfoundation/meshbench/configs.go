package meshbench

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/copilot"
	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/launch"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/pki"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpclient"
	"code.cloudfoundry.org/cf-mesh/internal/pilot"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller/ccpoller"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
	"code.cloudfoundry.org/cf-mesh/internal/tlsconfig"
)

// addresses are the loopback addresses of the control plane.
type addresses struct {
	mcp, copilotStatus                string
	xds, containers, pilotStatus      string
	naiveXDS, naiveStatus             string
	copilotTLS, pilotTLS              tlsconfig.Files
	ccURL, ccClientID, ccSecret, nats string
}

// allocate picks free loopback ports and issues the MCP certificates.
func (a *addresses) allocate(dir string) error {
	if err := launch.FreeAddresses(&a.mcp, &a.copilotStatus, &a.xds, &a.containers, &a.pilotStatus, &a.naiveXDS, &a.naiveStatus); err != nil {
		return err
	}
	certs := filepath.Join(dir, "certs")
	if err := os.MkdirAll(certs, 0o700); err != nil {
		return err
	}
	ca, err := pki.NewCA("meshbench CA")
	if err != nil {
		return err
	}
	if a.copilotTLS, err = ca.WriteFiles(certs, "copilot", "127.0.0.1"); err != nil {
		return fmt.Errorf("copilot certificate: %w", err)
	}
	if a.pilotTLS, err = ca.WriteFiles(certs, "pilot"); err != nil {
		return fmt.Errorf("pilot certificate: %w", err)
	}
	a.pilotTLS.ServerName = "127.0.0.1"
	return nil
}

// copilotConfig is the copilot as BOSH would render it for this
// foundation: Cloud Controller and NATS with their production defaults
// (but the register interval), MCP over mutual TLS.
func copilotConfig(a addresses, o Options) copilot.Config {
	cfg := copilot.Config{
		CloudController: &ccpoller.Config{APIURL: a.ccURL, ClientID: a.ccClientID, ClientSecret: a.ccSecret},
		NATS:            natsConfig(a.nats, o.RegisterInterval),
		MCP:             copilot.MCPConfig{ListenAddress: a.mcp, TLS: a.copilotTLS},
		ProcessConfig:   lifecycle.ProcessConfig{StatusAddress: a.copilotStatus, Debounce: jsonduration.Duration(o.Debounce), LogLevel: "info"},
	}
	return cfg.WithDefaults()
}

// natsConfig keeps gorouter's ratios to the register interval: stale
// after 6 intervals, pruned every 1.5.
func natsConfig(url string, interval time.Duration) natssubscriber.Config {
	if interval == 20*time.Second {
		return natssubscriber.Config{Servers: []string{url}}
	}
	return natssubscriber.Config{
		Servers:                        []string{url},
		MinimumRegisterInterval:        jsonduration.Duration(interval),
		PruneThreshold:                 jsonduration.Duration(6 * interval),
		ServiceDiscoveryPruneThreshold: jsonduration.Duration(9 * interval),
		PruneInterval:                  jsonduration.Duration(interval * 3 / 2),
	}
}

// pilotConfig follows the copilot over mutual TLS and serves gateways and
// proxyless clients on the (loopback, plaintext) control-plane listener
// and container sidecars on the containers listener.
func pilotConfig(a addresses, o Options) pilot.Config {
	cfg := pilot.Config{
		Copilot:       mcpclient.Config{Addresses: []string{a.mcp}, NodeID: "pilot~127.0.0.1~meshbench~x"},
		CopilotTLS:    a.pilotTLS,
		XDS:           pilot.XDSConfig{ListenAddress: a.xds},
		Containers:    pilot.ContainersConfig{ListenAddress: a.containers},
		ProcessConfig: lifecycle.ProcessConfig{StatusAddress: a.pilotStatus, Debounce: jsonduration.Duration(o.Debounce), LogLevel: "info"},
	}
	return cfg.WithDefaults()
}

// naiveConfig is the naive control plane's: the same copilot, State of
// the World MCP, one listener for every proxy.
func naiveConfig(a addresses, o Options) NaiveConfig {
	cfg := NaiveConfig{
		Copilot:       mcpclient.Config{Addresses: []string{a.mcp}, NodeID: "pilot~127.0.0.1~meshbench-naive~x", Transport: mcpclient.TransportSotW},
		CopilotTLS:    a.pilotTLS,
		ListenAddress: a.naiveXDS,
		ProcessConfig: lifecycle.ProcessConfig{StatusAddress: a.naiveStatus, Debounce: jsonduration.Duration(o.Debounce), LogLevel: "info"},
	}
	return cfg.WithDefaults()
}
