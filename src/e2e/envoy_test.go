package e2e_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/copilot"
	"code.cloudfoundry.org/cf-mesh/internal/gatewaybootstrap"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/adsprobe"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/pki"
	"code.cloudfoundry.org/cf-mesh/internal/pilot"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/loopback"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// envoyGateway is a real Envoy bootstrapped against the pilot.
type envoyGateway struct {
	http, https, health string
	ca                  *pki.CA
}

// writeSecret writes one SDS file the way the gateway job renders it.
func writeSecret(dir, name string, data []byte, err error) {
	Expect(err).NotTo(HaveOccurred())
	Expect(os.WriteFile(filepath.Join(dir, name+".yaml"), data, 0o600)).To(Succeed())
}

// gatewayFixture prepares certificates, SDS files and ports, and returns
// the settings the control plane needs for them.
func gatewayFixture() (envoyGateway, planeSettings, string) {
	dir := GinkgoT().TempDir()
	ca, err := pki.NewCA("e2e gateway CA")
	Expect(err).NotTo(HaveOccurred())
	frontendCert, frontendKey, err := ca.Issue("apps", "*.apps.example.com")
	Expect(err).NotTo(HaveOccurred())
	certFile := filepath.Join(dir, "apps.crt")
	Expect(os.WriteFile(certFile, frontendCert, 0o600)).To(Succeed())
	secrets := filepath.Join(dir, "sds")
	Expect(os.MkdirAll(secrets, 0o700)).To(Succeed())
	data, err := gatewaybootstrap.CertificateSecretFile("apps-wildcard", frontendCert, frontendKey)
	writeSecret(secrets, "apps-wildcard", data, err)
	clientCert, clientKey, err := ca.Issue("gateway", "gorouter.service.cf.internal")
	Expect(err).NotTo(HaveOccurred())
	data, err = gatewaybootstrap.CertificateSecretFile(xdsresources.DefaultUpstreamClientSecret, clientCert, clientKey)
	writeSecret(secrets, xdsresources.DefaultUpstreamClientSecret, data, err)
	data, err = gatewaybootstrap.ValidationSecretFile(xdsresources.DefaultUpstreamCASecret, ca.PEM)
	writeSecret(secrets, xdsresources.DefaultUpstreamCASecret, data, err)

	gw := envoyGateway{http: loopback.FreeAddress(), https: loopback.FreeAddress(), health: loopback.FreeAddress(), ca: ca}
	settings := planeSettings{
		mesh: copilot.MeshConfig{
			GatewayHTTPPort: portOf(gw.http), GatewayHTTPSPort: portOf(gw.https),
			FrontendCertificates: []copilot.FrontendCertificateFile{{Name: "apps-wildcard", CertFile: certFile}},
		},
		gateway: pilot.GatewayConfig{BindAddress: "127.0.0.1", SecretsDirectory: secrets},
	}
	return gw, settings, dir
}

func portOf(address string) uint32 {
	_, port, err := net.SplitHostPort(address)
	Expect(err).NotTo(HaveOccurred())
	var n uint32
	_, err = fmt.Sscan(port, &n)
	Expect(err).NotTo(HaveOccurred())
	return n
}

// startEnvoy runs envoy with a gateway bootstrap until the spec ends.
func startEnvoy(binary, dir, xdsAddress string, gw envoyGateway) {
	b, err := gatewaybootstrap.Build(gatewaybootstrap.Options{
		NodeIP: "127.0.0.1", NodeID: "e2e-gateway", Pilots: []string{xdsAddress},
		AdminAddress: loopback.FreeAddress(), HealthCheckAddress: gw.health,
	})
	Expect(err).NotTo(HaveOccurred())
	js, err := gatewaybootstrap.JSON(b)
	Expect(err).NotTo(HaveOccurred())
	bootstrap := filepath.Join(dir, "envoy.json")
	Expect(os.WriteFile(bootstrap, js, 0o600)).To(Succeed())
	cmd := exec.Command(binary, "-c", bootstrap, "--log-level", "warning", "--base-id", fmt.Sprint(os.Getpid()))
	cmd.Stdout, cmd.Stderr = GinkgoWriter, GinkgoWriter
	Expect(cmd.Start()).To(Succeed())
	DeferCleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
}

// get asks the gateway for host and returns the status and body.
func get(client *http.Client, url, host string) (int, string) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	Expect(err).NotTo(HaveOccurred())
	req.Host = host
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

var _ = Describe("A real Envoy ingress gateway", func() {
	It("serves the weighted split over HTTP, HTTPS with SNI, 404 for unknown hosts, and a health check", func() {
		gw, settings, dir := gatewayFixture()
		foundation := startShop(settings)

		By("serving gateways valid listeners: HTTP, and HTTPS chosen by SNI with the operator's certificate")
		probe, err := adsprobe.Dial(bounded(), foundation.plane.xdsAddress, &corev3.Node{Id: "router~127.0.0.1~probe~cf.internal"})
		Expect(err).NotTo(HaveOccurred())
		defer probe.Close()
		listeners, err := probe.Fetch(resourcev3.ListenerType)
		Expect(err).NotTo(HaveOccurred())
		Expect(adsprobe.Validate(listeners)).To(Succeed())
		httpsName := xdsresources.GatewayListenerName("127.0.0.1", portOf(gw.https))
		Expect(listeners).To(ContainElement(HaveField("Name", httpsName)))
		for _, m := range listeners {
			if l := m.(*listenerv3.Listener); l.GetName() == httpsName {
				Expect(l.GetFilterChains()).To(ConsistOf(HaveField("FilterChainMatch.ServerNames", []string{"*.apps.example.com"})))
			}
		}

		binary, err := exec.LookPath("envoy")
		if err != nil {
			Skip("no envoy binary on PATH, so no real gateway carries traffic here; grpc-go's xDS client covers the same routing in this suite")
		}
		startEnvoy(binary, dir, foundation.plane.xdsAddress, gw)
		client := &http.Client{Timeout: 5 * time.Second}

		Eventually(func() int {
			status, _ := get(client, "http://"+gw.health+gatewaybootstrap.HealthCheckPath, "health")
			return status
		},
			60*time.Second, 200*time.Millisecond).Should(Equal(http.StatusOK))

		By("splitting 1000 HTTP requests 80/20 within 5 points")
		Eventually(func() int { status, _ := get(client, "http://"+gw.http+"/", shopHost); return status }, 30*time.Second).Should(Equal(http.StatusOK))
		counts := map[string]int{}
		for range 1000 {
			status, body := get(client, "http://"+gw.http+"/", shopHost)
			Expect(status).To(Equal(http.StatusOK), body)
			counts[body]++
		}
		Expect(counts["v1-a"] + counts["v1-b"]).To(BeNumerically("~", 800, 50))
		Expect(counts["v2-a"]).To(BeNumerically("~", 200, 50))

		By("answering 404 for a host no route serves")
		status, _ := get(client, "http://"+gw.http+"/", "nobody.apps.example.com")
		Expect(status).To(Equal(http.StatusNotFound))

		By("terminating HTTPS with the operator's certificate chosen by SNI")
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(gw.ca.PEM)
		httpsClient := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: shopHost},
		}}
		status, body := get(httpsClient, "https://"+gw.https+"/", shopHost)
		Expect(status).To(Equal(http.StatusOK), body)
		Expect(body).To(HavePrefix("v"))
	})
})
