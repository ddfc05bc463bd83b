package testbed

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
	"code.cloudfoundry.org/cf-mesh/internal/source/networkpolicy/policypoller"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
	"code.cloudfoundry.org/cf-mesh/internal/tlsconfig"
)

// FrontendCertificateName is the operator certificate the gateway serves
// for `*.<apps domain>`.
const FrontendCertificateName = "apps-domain"

// processDebounce keeps changes quick to arrive; production uses 100ms.
const processDebounce = 50 * time.Millisecond

// ports are the loopback addresses the foundation's processes listen on.
type ports struct {
	mcp, copilotStatus, xds, pilotStatus                   string
	gatewayHTTP, gatewayHTTPS, gatewayAdmin, gatewayHealth string
}

func allocatePorts() (ports, error) {
	var p ports
	err := launch.FreeAddresses(&p.mcp, &p.copilotStatus, &p.xds, &p.pilotStatus,
		&p.gatewayHTTP, &p.gatewayHTTPS, &p.gatewayAdmin, &p.gatewayHealth)
	return p, err
}

// processConfigs are the two configuration files and the gateway's
// certificate authority.
type processConfigs struct {
	copilotPath, pilotPath string
	gatewaySecrets         string
	// frontendCA signs the operator's certificate for the apps domain.
	frontendCA *pki.CA
}

// writeConfigs issues certificates and writes the copilot's and the pilot's
// configuration files as their BOSH jobs render them, checking both the way
// the processes will.
func (f *Foundation) writeConfigs(ccURL, natsURL string, policies *policypoller.Config) (processConfigs, error) {
	var out processConfigs
	certs := filepath.Join(f.opts.WorkDir, "certs")
	if err := os.MkdirAll(certs, 0o700); err != nil {
		return out, err
	}
	ca, err := pki.NewCA("cf-mesh acceptance CA")
	if err != nil {
		return out, err
	}
	serverTLS, err := ca.WriteFiles(certs, "copilot", "127.0.0.1")
	if err != nil {
		return out, err
	}
	clientTLS, err := ca.WriteFiles(certs, "pilot")
	if err != nil {
		return out, err
	}
	clientTLS.ServerName = "127.0.0.1"
	f.pilotClientTLS = clientTLS
	frontendCert, err := f.writeGatewaySecrets(ca, &out)
	if err != nil {
		return out, err
	}
	f.gatewaySecrets = out.gatewaySecrets
	cop, pil := f.copilotConfig(ccURL, natsURL, serverTLS, frontendCert), f.pilotConfig(clientTLS, out.gatewaySecrets)
	cop.NetworkPolicies = policies
	if err := cop.WithDefaults().Validate(); err != nil {
		return out, fmt.Errorf("copilot configuration: %w", err)
	}
	if err := pil.WithDefaults().Validate(); err != nil {
		return out, fmt.Errorf("pilot configuration: %w", err)
	}
	out.copilotPath = filepath.Join(f.opts.WorkDir, "copilot.json")
	out.pilotPath = filepath.Join(f.opts.WorkDir, "pilot.json")
	if err := launch.WriteJSON(out.copilotPath, cop); err != nil {
		return out, err
	}
	return out, launch.WriteJSON(out.pilotPath, pil)
}

// copilotConfig reads the stand-in and NATS with the foundation's scaled
// down intervals and serves MCP over mutual TLS. Its container network is
// MeshContainerIP alone (mesh.go).
func (f *Foundation) copilotConfig(ccURL, natsURL string, serverTLS tlsconfig.Files, frontendCert string) copilot.Config {
	ccID, ccSecret := f.cc.ClientCredentials()
	return copilot.Config{
		CloudController: &ccpoller.Config{
			APIURL: ccURL, ClientID: ccID, ClientSecret: ccSecret,
			EventPollInterval: jsonduration.Duration(f.opts.CCEventPoll),
			FullSyncInterval:  jsonduration.Duration(f.opts.CCFullSync),
			RequestTimeout:    jsonduration.Duration(f.opts.CCRequestTimeout),
		},
		NATS: natssubscriber.Config{
			Servers:                        []string{natsURL},
			MinimumRegisterInterval:        jsonduration.Duration(f.opts.RegisterInterval),
			PruneThreshold:                 jsonduration.Duration(f.opts.PruneThreshold),
			ServiceDiscoveryPruneThreshold: jsonduration.Duration(f.opts.PruneThreshold),
			PruneInterval:                  jsonduration.Duration(time.Second),
		},
		MCP: copilot.MCPConfig{ListenAddress: f.ports.mcp, TLS: serverTLS},
		Mesh: copilot.MeshConfig{
			GatewayHTTPPort: launch.PortOf(f.ports.gatewayHTTP), GatewayHTTPSPort: launch.PortOf(f.ports.gatewayHTTPS),
			FrontendCertificates: []copilot.FrontendCertificateFile{{Name: FrontendCertificateName, CertFile: frontendCert}},
			InternalDomains:      []string{f.opts.InternalDomain},
			ContainerNetwork:     meshContainerNetwork,
		},
		ProcessConfig: lifecycle.ProcessConfig{Debounce: jsonduration.Duration(processDebounce), StatusAddress: f.ports.copilotStatus},
	}
}

// pilotConfig follows the copilot over mutual TLS and serves xDS in
// plaintext on loopback.
func (f *Foundation) pilotConfig(clientTLS tlsconfig.Files, secrets string) pilot.Config {
	return pilot.Config{
		Copilot:       mcpclient.Config{Addresses: []string{f.ports.mcp}},
		CopilotTLS:    clientTLS,
		XDS:           pilot.XDSConfig{ListenAddress: f.ports.xds},
		Gateway:       pilot.GatewayConfig{BindAddress: "127.0.0.1", SecretsDirectory: secrets},
		ProcessConfig: lifecycle.ProcessConfig{Debounce: jsonduration.Duration(processDebounce), StatusAddress: f.ports.pilotStatus},
	}
}

// writeGatewaySecrets writes the SDS files a gateway Envoy reads, as the
// gateway job renders them, with the operator's certificate for the apps
// domain (whose certificate alone the copilot reads). It returns the
// frontend certificate's file.
func (f *Foundation) writeGatewaySecrets(ca *pki.CA, out *processConfigs) (string, error) {
	out.gatewaySecrets = filepath.Join(f.opts.WorkDir, "sds")
	frontendCert, frontendKey, err := f.issueFrontendCertificate(out)
	if err != nil {
		return "", err
	}
	certFile := filepath.Join(f.opts.WorkDir, "certs", FrontendCertificateName+".crt")
	if err := os.WriteFile(certFile, frontendCert, 0o600); err != nil {
		return "", err
	}
	frontend := launch.FrontendCertificate{Name: FrontendCertificateName, Cert: frontendCert, Key: frontendKey}
	return certFile, launch.WriteGatewaySecrets(out.gatewaySecrets, ca, frontend)
}

// issueFrontendCertificate makes the operator's CA and its certificate for
// `*.<apps domain>`.
func (f *Foundation) issueFrontendCertificate(out *processConfigs) (cert, key []byte, err error) {
	frontendCA, err := pki.NewCA("operator CA for " + f.opts.AppsDomain)
	if err != nil {
		return nil, nil, err
	}
	out.frontendCA = frontendCA
	return frontendCA.Issue(f.opts.AppsDomain, "*."+f.opts.AppsDomain)
}
