package testbed

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"code.cloudfoundry.org/cf-mesh/internal/gatewaybootstrap"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// GatewayNodeID is the gateway's node id part: `router~127.0.0.1~<id>~...`.
const GatewayNodeID = "acceptance-gateway"

// Gateway is a real Envoy ingress gateway bootstrapped against the pilot,
// with the operator's certificate for the apps domain.
type Gateway struct {
	// HTTPAddress and HTTPSAddress are the listeners the pilot gives it.
	HTTPAddress, HTTPSAddress string
	process                   *Process
	foundation                *Foundation
}

// startGateway writes an ingress gateway's Envoy bootstrap, as the gateway
// job renders it, and runs Envoy when one is available.
func (f *Foundation) startGateway(ctx context.Context, secretsDir string) error {
	bootstrap, err := gatewaybootstrap.Build(gatewaybootstrap.Options{
		NodeIP: "127.0.0.1", NodeID: GatewayNodeID, Pilots: []string{f.ports.xds},
		AdminAddress: f.ports.gatewayAdmin, HealthCheckAddress: f.ports.gatewayHealth,
	})
	if err != nil {
		return fmt.Errorf("gateway bootstrap: %w", err)
	}
	js, err := gatewaybootstrap.JSON(bootstrap)
	if err != nil {
		return fmt.Errorf("gateway bootstrap: %w", err)
	}
	path := filepath.Join(f.opts.WorkDir, "envoy-gateway.json")
	if err := os.WriteFile(path, js, 0o644); err != nil {
		return err
	}
	envoy := f.opts.Envoy
	if envoy == "" {
		if envoy, err = exec.LookPath("envoy"); err != nil {
			f.gatewaySkipped = "no envoy binary on PATH: no real gateway carries HTTP traffic; its configuration is still served and checked (bootstrap " + path + ")"
			f.logger.Info("gateway-skipped", lager.Data{"reason": f.gatewaySkipped})
			return nil
		}
	}
	p := &Process{
		name: "envoy", binary: envoy, logPath: filepath.Join(f.opts.WorkDir, "envoy.log"),
		args:     []string{"-c", path, "--log-level", "warning", "--base-id", fmt.Sprint(os.Getpid())},
		readyURL: "http://" + f.ports.gatewayHealth + gatewaybootstrap.HealthCheckPath, statusAddress: f.ports.gatewayAdmin,
		readyTimeout: f.opts.ReadyTimeout, logger: f.logger.Session("envoy"),
	}
	if err := p.Start(ctx); err != nil {
		return err
	}
	f.gateway = &Gateway{HTTPAddress: f.ports.gatewayHTTP, HTTPSAddress: f.ports.gatewayHTTPS, process: p, foundation: f}
	return nil
}

func (g *Gateway) stop() {
	if err := g.process.Stop(); err != nil {
		g.foundation.logger.Error("gateway-stop-failed", err)
	}
}

// Answer is one gateway response.
type Answer struct {
	Status int
	// Body is trimmed; the sample app answers its instance ID.
	Body string
	// ServerNames are the DNS names of the certificate an HTTPS answer
	// came with.
	ServerNames []string
}

// Get sends GET <path> for host over plain HTTP.
func (g *Gateway) Get(ctx context.Context, host, path string) (Answer, error) {
	return g.get(ctx, &http.Client{Timeout: 5 * time.Second}, "http://"+g.HTTPAddress+path, host)
}

// GetHTTPS sends GET <path> for host over HTTPS with host as SNI,
// verifying the gateway's certificate against the operator's CA.
func (g *Gateway) GetHTTPS(ctx context.Context, host, path string) (Answer, error) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: g.foundation.FrontendRoots(), ServerName: host, MinVersion: tls.VersionTLS12},
	}}
	return g.get(ctx, client, "https://"+g.HTTPSAddress+path, host)
}

func (g *Gateway) get(ctx context.Context, client *http.Client, url, host string) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Answer{}, err
	}
	req.Host = host
	resp, err := client.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Answer{}, err
	}
	a := Answer{Status: resp.StatusCode, Body: strings.TrimSpace(string(body))}
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		a.ServerNames = resp.TLS.PeerCertificates[0].DNSNames
	}
	return a, nil
}

// GatewayListenerName is the name the pilot gives a gateway listener on
// port (it binds gateways to 127.0.0.1 here).
func GatewayListenerName(port uint32) string {
	return xdsresources.GatewayListenerName("127.0.0.1", port)
}
