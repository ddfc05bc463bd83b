package cf_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
)

var (
	org, space string
	// runID keeps this run's names apart from other runs'.
	runID = randomHex(3)
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// name is a fresh name for an org, space, app or host: lower case, as
// hostnames must be.
func name(what string) string {
	return strings.ToLower(fmt.Sprintf("%s-%s-%s-%s", cfg.NamePrefix, runID, what, randomHex(2)))
}

// command runs a CLI with the suite's CF_HOME and returns its output,
// failing the spec unless it exits 0 within timeout.
func command(ctx context.Context, timeout time.Duration, binary string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), "CF_HOME="+filepath.Join(suiteDir, "cf-home"), "CF_COLOR=false")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	GinkgoWriter.Printf("$ %s %s\n", binary, redact(args))
	err := cmd.Run()
	Expect(err).NotTo(HaveOccurred(), "%s %s:\n%s", binary, redact(args), out.String())
	return out.String()
}

// redact hides the secret that follows `auth USER`.
func redact(args []string) string {
	if len(args) == 3 && args[0] == "auth" {
		return "auth " + args[1] + " [REDACTED]"
	}
	return strings.Join(args, " ")
}

func cf(ctx context.Context, args ...string) string {
	return command(ctx, cfg.DefaultTimeout.Std(), "cf", args...)
}

// cfCurl calls the Cloud Controller API through `cf curl` and decodes the
// JSON answer into out.
func cfCurl(ctx context.Context, out any, args ...string) {
	body := cf(ctx, append([]string{"curl"}, args...)...)
	Expect(json.Unmarshal([]byte(body), out)).To(Succeed(), body)
}

func login(ctx context.Context) {
	Expect(os.MkdirAll(filepath.Join(suiteDir, "cf-home"), 0o700)).To(Succeed())
	api := []string{"api", cfg.API}
	if cfg.SkipSSLValidation {
		api = append(api, "--skip-ssl-validation")
	}
	cf(ctx, api...)
	if cfg.AdminClient != "" {
		cf(ctx, "auth", cfg.AdminClient, cfg.AdminClientSecret, "--client-credentials")
	} else {
		cf(ctx, "auth", cfg.AdminUser, cfg.AdminPassword)
	}
	org, space = name("org"), name("space")
	cf(ctx, "create-org", org)
	DeferCleanup(func(ctx SpecContext) { cf(ctx, "delete-org", org, "-f") }, NodeTimeout(10*time.Minute))
	cf(ctx, "create-space", space, "-o", org)
	cf(ctx, "target", "-o", org, "-s", space)
}

// buildApp cross-compiles the sample app for the binary buildpack and
// returns the directory to push.
func buildApp(ctx context.Context) string {
	dir := filepath.Join(suiteDir, "meshapp")
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, "meshapp"), "../assets/meshapp")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
	return dir
}

// pushApp pushes the sample app without a route, as `cf push --no-route`.
func pushApp(ctx context.Context, app, dir string) {
	command(ctx, cfg.CFPushTimeout.Std(), "cf", "push", app, "-p", dir, "-b", cfg.Buildpack, "-s", cfg.Stack,
		"-c", "./meshapp", "-m", "64M", "-k", "256M", "--no-route")
}

// guidOf returns the GUID `cf <kind> NAME --guid` prints.
func guidOf(ctx context.Context, kind, name string) string {
	return strings.TrimSpace(cf(ctx, kind, name, "--guid"))
}

// routeGUID finds a route by host on a domain.
func routeGUID(ctx context.Context, host, domain string) string {
	var domains, routes struct {
		Resources []struct {
			GUID string `json:"guid"`
		} `json:"resources"`
	}
	cfCurl(ctx, &domains, "/v3/domains?names="+domain)
	Expect(domains.Resources).To(HaveLen(1), "domain %s", domain)
	cfCurl(ctx, &routes, fmt.Sprintf("/v3/routes?hosts=%s&domain_guids=%s", host, domains.Resources[0].GUID))
	Expect(routes.Resources).To(HaveLen(1), "route %s.%s", host, domain)
	return routes.Resources[0].GUID
}

// gateway sends requests through the cf-mesh gateway, naming the route in
// the Host header (HTTP) or SNI (HTTPS).
type gateway struct{ http, https *http.Client }

func newGateway() gateway {
	tlsConfig := &tls.Config{InsecureSkipVerify: cfg.SkipSSLValidation, MinVersion: tls.VersionTLS12} //nolint:gosec // test foundations
	if cfg.GatewayCACertFile != "" {
		pem, err := os.ReadFile(cfg.GatewayCACertFile)
		Expect(err).NotTo(HaveOccurred())
		tlsConfig.RootCAs = x509.NewCertPool()
		Expect(tlsConfig.RootCAs.AppendCertsFromPEM(pem)).To(BeTrue(), "gateway_ca_cert_file holds a PEM certificate")
	}
	return gateway{
		http:  &http.Client{Timeout: 10 * time.Second},
		https: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig}},
	}
}

// answer is one gateway response.
type answer struct {
	status      int
	body        string
	serverNames []string
}

func (g gateway) get(ctx context.Context, host, path string) (answer, error) {
	return g.do(ctx, g.http, "http://"+cfg.GatewayAddress+path, host)
}

func (g gateway) getHTTPS(ctx context.Context, host, path string) (answer, error) {
	client := *g.https
	transport := client.Transport.(*http.Transport).Clone()
	transport.TLSClientConfig.ServerName = host
	client.Transport = transport
	return g.do(ctx, &client, "https://"+cfg.GatewayHTTPSAddress+path, host)
}

func (g gateway) do(ctx context.Context, client *http.Client, url, host string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return answer{}, err
	}
	req.Host = host
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, body: strings.TrimSpace(string(body))}
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		a.serverNames = resp.TLS.PeerCertificates[0].DNSNames
	}
	return a, err
}

// appOf is the app an answer came from: meshapp answers `<app>/<index>`.
func appOf(a answer) string {
	return strings.SplitN(a.body, "/", 2)[0]
}

// eventuallyAnswers waits until host+path answers status (and, when app is
// set, from that app), and returns how long that took.
func eventuallyAnswers(ctx context.Context, g gateway, host, path string, status int, app string) time.Duration {
	started := time.Now()
	Eventually(ctx, func(gm Gomega) {
		a, err := g.get(ctx, host, path)
		gm.Expect(err).NotTo(HaveOccurred())
		gm.Expect(a.status).To(Equal(status), a.body)
		if app != "" {
			gm.Expect(appOf(a)).To(Equal(app))
		}
	}).WithTimeout(cfg.ConvergenceTimeout.Std()).WithPolling(time.Second).Should(Succeed(), "%s%s answers %d", host, path, status)
	return time.Since(started)
}

// expectSplit waits until cfg.Requests requests split by weights (app
// name → percent) within the tolerance, and records the shares.
func expectSplit(ctx context.Context, g gateway, host string, weights map[string]int) time.Duration {
	started := time.Now()
	shares := map[string]float64{}
	Eventually(ctx, func(gm Gomega) {
		clear(shares)
		for range cfg.Requests {
			a, err := g.get(ctx, host, "/")
			gm.Expect(err).NotTo(HaveOccurred())
			gm.Expect(a.status).To(Equal(http.StatusOK), a.body)
			shares[appOf(a)] += 100 / float64(cfg.Requests)
		}
		for app, weight := range weights {
			gm.Expect(shares[app]).To(BeNumerically("~", weight, cfg.SplitTolerance), "%s's share (weight %d)", app, weight)
		}
	}).WithTimeout(cfg.ConvergenceTimeout.Std()).WithPolling(time.Second).Should(Succeed())
	for app, weight := range weights {
		report.Measure(fmt.Sprintf("%s share (weight %d)", app, weight), "%.1f%%", shares[app])
	}
	return time.Since(started)
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1fs", d.Seconds())
}
