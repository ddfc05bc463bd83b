package localfoundation

import (
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
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
)

// ports are the loopback addresses the foundation's processes listen on.
type ports struct {
	mcp, copilotStatus, xds, pilotStatus, gateway, gatewayAdmin, gatewayHealth string
}

func allocatePorts() (ports, error) {
	var p ports
	err := launch.FreeAddresses(&p.mcp, &p.copilotStatus, &p.xds, &p.pilotStatus, &p.gateway, &p.gatewayAdmin, &p.gatewayHealth)
	return p, err
}

// writeConfigs issues certificates and writes the copilot's and pilot's
// configuration files, returning their paths.
func (f *foundation) writeConfigs() (copilotPath, pilotPath string, err error) {
	certs := filepath.Join(f.opts.WorkDir, "certs")
	if err := os.MkdirAll(certs, 0o700); err != nil {
		return "", "", err
	}
	ca, err := pki.NewCA("cf-mesh local CA")
	if err != nil {
		return "", "", err
	}
	serverTLS, err := ca.WriteFiles(certs, "copilot", "127.0.0.1")
	if err != nil {
		return "", "", err
	}
	clientTLS, err := ca.WriteFiles(certs, "pilot")
	if err != nil {
		return "", "", err
	}
	clientTLS.ServerName = "127.0.0.1"
	secrets := filepath.Join(f.opts.WorkDir, "sds")
	if err := launch.WriteGatewaySecrets(secrets, ca); err != nil {
		return "", "", err
	}
	cop := copilot.Config{
		RoutesFile: &copilot.RoutesFileConfig{Path: f.routesPath, PollInterval: jsonduration.Duration(500 * time.Millisecond)},
		NATS: natssubscriber.Config{
			Servers:                 []string{f.natsURL},
			MinimumRegisterInterval: jsonduration.Duration(2 * time.Second),
			PruneThreshold:          jsonduration.Duration(10 * time.Second),
			PruneInterval:           jsonduration.Duration(2 * time.Second),
		},
		MCP:           copilot.MCPConfig{ListenAddress: f.ports.mcp, TLS: serverTLS},
		Mesh:          copilot.MeshConfig{GatewayHTTPPort: launch.PortOf(f.ports.gateway)},
		ProcessConfig: lifecycle.ProcessConfig{StatusAddress: f.ports.copilotStatus},
	}
	pil := pilot.Config{
		Copilot:       mcpclient.Config{Addresses: []string{f.ports.mcp}},
		CopilotTLS:    clientTLS,
		XDS:           pilot.XDSConfig{ListenAddress: f.ports.xds},
		Gateway:       pilot.GatewayConfig{BindAddress: "127.0.0.1", SecretsDirectory: secrets},
		ProcessConfig: lifecycle.ProcessConfig{StatusAddress: f.ports.pilotStatus},
	}
	copilotPath = filepath.Join(f.opts.WorkDir, "copilot.json")
	pilotPath = filepath.Join(f.opts.WorkDir, "pilot.json")
	if err := launch.WriteJSON(copilotPath, cop); err != nil {
		return "", "", err
	}
	return copilotPath, pilotPath, launch.WriteJSON(pilotPath, pil)
}
