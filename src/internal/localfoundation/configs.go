package localfoundation

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/copilot"
	"code.cloudfoundry.org/cf-mesh/internal/gatewaybootstrap"
	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/pki"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpclient"
	"code.cloudfoundry.org/cf-mesh/internal/pilot"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// ports are the loopback addresses the foundation's processes listen on.
type ports struct {
	mcp, copilotStatus, xds, pilotStatus, gateway, gatewayAdmin, gatewayHealth string
}

func allocatePorts() (ports, error) {
	var p ports
	for _, addr := range []*string{&p.mcp, &p.copilotStatus, &p.xds, &p.pilotStatus, &p.gateway, &p.gatewayAdmin, &p.gatewayHealth} {
		a, err := freeAddress()
		if err != nil {
			return ports{}, err
		}
		*addr = a
	}
	return p, nil
}

// freeAddress asks the kernel for a free loopback port.
func freeAddress() (string, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer lis.Close()
	return lis.Addr().String(), nil
}

func portOf(address string) uint32 {
	_, port, _ := net.SplitHostPort(address)
	var n uint32
	fmt.Sscan(port, &n)
	return n
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
	secrets, err := f.writeGatewaySecrets(ca)
	if err != nil {
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
		Mesh:          copilot.MeshConfig{GatewayHTTPPort: portOf(f.ports.gateway)},
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
	if err := writeJSON(copilotPath, cop); err != nil {
		return "", "", err
	}
	return copilotPath, pilotPath, writeJSON(pilotPath, pil)
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o600)
}

// writeGatewaySecrets writes the SDS files a gateway Envoy reads (the
// client certificate it presents to container proxies and the CA that
// verifies them), as the gateway job renders them, and returns their
// directory.
func (f *foundation) writeGatewaySecrets(ca *pki.CA) (string, error) {
	dir := filepath.Join(f.opts.WorkDir, "sds")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	cert, key, err := ca.Issue("gateway", "gorouter.service.cf.internal")
	if err != nil {
		return "", err
	}
	client, err := gatewaybootstrap.CertificateSecretFile(xdsresources.DefaultUpstreamClientSecret, cert, key)
	if err != nil {
		return "", err
	}
	validation, err := gatewaybootstrap.ValidationSecretFile(xdsresources.DefaultUpstreamCASecret, ca.PEM)
	if err != nil {
		return "", err
	}
	for name, data := range map[string][]byte{xdsresources.DefaultUpstreamClientSecret: client, xdsresources.DefaultUpstreamCASecret: validation} {
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), data, 0o600); err != nil {
			return "", err
		}
	}
	return dir, nil
}
