package policypoller_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/pki"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/policyserver"
	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/networkpolicy/policypoller"
	"code.cloudfoundry.org/cf-mesh/internal/tlsconfig"
)

const (
	appA = "4a2d3627-0b8c-42d1-9563-22696eedc05d"
	appB = "eb95ff20-cba8-4edc-8f4a-cf80d0669faf"
	appC = "b611f7e6-c8fe-41cb-b150-92581aafa5c2"
)

// published is one call of the publish function.
type published struct {
	policies source.NetworkPolicies
	current  bool
}

type recorder struct {
	mu    sync.Mutex
	calls []published
}

func (r *recorder) publish(p source.NetworkPolicies, current bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, published{p, current})
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func (r *recorder) last() published {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) == 0 {
		return published{}
	}
	return r.calls[len(r.calls)-1]
}

func (r *recorder) all() []published {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]published(nil), r.calls...)
}

func policy(src, dst string, port uint32) source.NetworkPolicy {
	return source.NetworkPolicy{SourceAppGUID: src, DestinationAppGUID: dst, Protocol: "tcp", StartPort: port, EndPort: port}
}

// harness is a policy server stand-in and the client files of a copilot
// it trusts.
type harness struct {
	server *policyserver.Server
	files  tlsconfig.Files
	logger *lagertest.TestLogger
	reg    *prometheus.Registry
	rec    *recorder
}

func newHarness() *harness {
	dir := GinkgoT().TempDir()
	clientCA, err := pki.NewCA("network_policy_ca")
	Expect(err).NotTo(HaveOccurred())
	files, err := clientCA.WriteFiles(dir, "copilot")
	Expect(err).NotTo(HaveOccurred())
	server, err := policyserver.Start(policyserver.Options{ClientCAPEM: clientCA.PEM, ErrorLog: GinkgoWriter})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(server.Close)
	// ca.crt holds the client CA; the copilot verifies the server with the
	// stand-in's own CA.
	files.CAFile = filepath.Join(dir, "server-ca.crt")
	Expect(os.WriteFile(files.CAFile, server.CAPEM(), 0o600)).To(Succeed())
	return &harness{server: server, files: files, logger: lagertest.NewTestLogger("test"), reg: prometheus.NewRegistry(), rec: &recorder{}}
}

func (h *harness) config() policypoller.Config {
	return policypoller.Config{
		Address:        h.server.URL(),
		TLS:            h.files,
		PollInterval:   jsonduration.Duration(10 * time.Millisecond),
		RequestTimeout: jsonduration.Duration(time.Second),
	}
}

// run starts a poller and stops it when the test ends.
func (h *harness) run(cfg policypoller.Config) {
	p, err := policypoller.New(cfg, h.logger, h.reg, h.rec.publish)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	DeferCleanup(func() {
		cancel()
		Eventually(done, 5*time.Second).Should(Receive(BeNil()))
	})
}

func (h *harness) metric(name string, labels ...string) float64 {
	families, err := h.reg.Gather()
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			matches := true
			for _, l := range m.GetLabel() {
				for i := 0; i+1 < len(labels); i += 2 {
					if l.GetName() == labels[i] && l.GetValue() != labels[i+1] {
						matches = false
					}
				}
			}
			if !matches {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return -1
}

func (h *harness) polls(result string) func() float64 {
	return func() float64 { return h.metric("cfmesh_copilot_policy_server_polls_total", "result", result) }
}

// waitForPolls waits until n more reads than now ended with result.
func (h *harness) waitForPolls(result string, n float64) {
	start := h.polls(result)()
	EventuallyWithOffset(1, h.polls(result), 10*time.Second, 5*time.Millisecond).Should(BeNumerically(">=", start+n))
}

func (h *harness) logCount(action string) int {
	n := 0
	for _, m := range h.logger.LogMessages() {
		if strings.HasSuffix(m, ".policy-poller."+action) {
			n++
		}
	}
	return n
}

var _ = Describe("Poller", func() {
	var h *harness

	BeforeEach(func() {
		h = newHarness()
		h.server.AddPolicy(policyserver.Policy{SourceAppGUID: appA, DestinationAppGUID: appB, StartPort: 8080})
		h.server.AddPolicy(policyserver.Policy{SourceAppGUID: appC, DestinationAppGUID: appA, StartPort: 9000, EndPort: 9010})
	})

	It("publishes the policy server's policies over mutual TLS, sorted, as current", func() {
		h.run(h.config())
		Eventually(h.rec.count, 10*time.Second).Should(Equal(1))
		Expect(h.rec.last()).To(Equal(published{source.NetworkPolicies{
			{SourceAppGUID: appC, DestinationAppGUID: appA, Protocol: "tcp", StartPort: 9000, EndPort: 9010},
			policy(appA, appB, 8080),
		}, true}))
		Eventually(h.logger).Should(gbytes.Say(`policy-poller.synced.*"policies":2`))
		Expect(h.metric("cfmesh_copilot_network_policies")).To(BeNumerically("==", 2))
		Expect(h.metric("cfmesh_copilot_policy_server_last_success_timestamp_seconds")).To(BeNumerically(">", 0))
		Expect(h.metric("cfmesh_copilot_policy_server_rejected_policies")).To(BeNumerically("==", 0))
	})

	It("publishes again only when the policies change", func() {
		h.run(h.config())
		Eventually(h.rec.count, 10*time.Second).Should(Equal(1))
		h.waitForPolls("success", 5)
		Expect(h.rec.count()).To(Equal(1), "unchanged reads publish nothing")

		h.server.AddPolicy(policyserver.Policy{SourceAppGUID: appB, DestinationAppGUID: appC, StartPort: 8443})
		Eventually(h.rec.count, 10*time.Second).Should(Equal(2))
		Expect(h.rec.last().policies).To(ContainElement(policy(appB, appC, 8443)))
		Expect(h.rec.last().current).To(BeTrue())
		Expect(h.logCount("policies-changed")).To(Equal(1))

		h.server.RemovePolicy(policyserver.Policy{SourceAppGUID: appA, DestinationAppGUID: appB, StartPort: 8080})
		Eventually(h.rec.count, 10*time.Second).Should(Equal(3))
		Expect(h.rec.last().policies).NotTo(ContainElement(policy(appA, appB, 8080)))
		Expect(h.rec.last().policies).To(HaveLen(2))
	})

	It("keeps the last good policies through an outage, flagged not current, and says when the source is back", func() {
		h.run(h.config())
		Eventually(h.rec.count, 10*time.Second).Should(Equal(1))
		good := h.rec.last().policies

		h.server.Fail(0)
		Eventually(h.rec.count, 10*time.Second).Should(Equal(2))
		Expect(h.rec.last()).To(Equal(published{good, false}), "never an empty list because the source failed")
		Eventually(h.logger).Should(gbytes.Say(`policy-poller.source-lost.*500 Internal Server Error.*database read failed`))
		h.waitForPolls("failure", 3)
		Expect(h.rec.count()).To(Equal(2), "one publish per state change")
		Expect(h.logCount("source-lost")).To(Equal(1))
		Expect(h.metric("cfmesh_copilot_network_policies")).To(BeNumerically("==", 2), "the last good count")

		h.server.Recover()
		Eventually(h.rec.count, 10*time.Second).Should(Equal(3))
		Expect(h.rec.last()).To(Equal(published{good, true}))
		Eventually(h.logger).Should(gbytes.Say(`policy-poller.source-back`))
	})

	It("treats a server that hangs as lost once the request times out", func() {
		cfg := h.config()
		cfg.RequestTimeout = jsonduration.Duration(100 * time.Millisecond)
		h.run(cfg)
		Eventually(h.rec.count, 10*time.Second).Should(Equal(1))

		h.server.Hang()
		Eventually(h.rec.count, 10*time.Second).Should(Equal(2))
		Expect(h.rec.last().current).To(BeFalse())
		Expect(h.rec.last().policies).To(HaveLen(2))
		Eventually(h.logger).Should(gbytes.Say(`source-lost`))
		Eventually(h.logger).Should(gbytes.Say(`context deadline exceeded`))

		h.server.Recover()
		Eventually(h.rec.count, 10*time.Second).Should(Equal(3))
		Expect(h.rec.last().current).To(BeTrue())
	})

	It("publishes nothing before its first good read", func() {
		h.server.Fail(0)
		h.run(h.config())
		h.waitForPolls("failure", 5)
		Expect(h.rec.count()).To(BeZero())
		Expect(h.logCount("poll-failed")).To(Equal(1), "logged once, not on every read")

		h.server.Recover()
		Eventually(h.rec.count, 10*time.Second).Should(Equal(1))
		Expect(h.rec.last().current).To(BeTrue())
		Expect(h.logCount("synced")).To(Equal(1))
	})

	It("drops bad entries, logs each once, and publishes the rest", func() {
		h.server.AddPolicy(policyserver.Policy{SourceAppGUID: "INGRESS_ROUTER", DestinationAppGUID: appB, StartPort: 8080})
		h.server.AddPolicy(policyserver.Policy{SourceAppGUID: appA, DestinationAppGUID: appB, StartPort: 0})
		h.run(h.config())
		Eventually(h.rec.count, 10*time.Second).Should(Equal(1))
		Expect(h.rec.last().policies).To(HaveLen(2))
		h.waitForPolls("success", 5)
		Expect(h.logCount("policy-rejected")).To(Equal(2))
		Expect(h.metric("cfmesh_copilot_policy_server_rejected_policies")).To(BeNumerically("==", 2))
		Expect(h.logger).To(gbytes.Say(`policy-rejected.*source id is not an app GUID.*INGRESS_ROUTER`))

		h.server.AddPolicy(policyserver.Policy{SourceAppGUID: appB, DestinationAppGUID: appB, StartPort: 70000})
		Eventually(func() int { return h.logCount("policy-rejected") }, 10*time.Second).Should(Equal(3))
		Expect(h.rec.count()).To(Equal(1), "a new bad entry changes no policy")
	})

	It("fails, publishing nothing, with a client certificate the policy server does not trust", func() {
		other, err := pki.NewCA("another CA")
		Expect(err).NotTo(HaveOccurred())
		dir := GinkgoT().TempDir()
		files, err := other.WriteFiles(dir, "intruder")
		Expect(err).NotTo(HaveOccurred())
		cfg := h.config()
		cfg.TLS.CertFile, cfg.TLS.KeyFile = files.CertFile, files.KeyFile
		h.run(cfg)
		h.waitForPolls("failure", 3)
		Expect(h.rec.count()).To(BeZero())
		Expect(h.server.Requests()).To(BeZero())
	})

	It("fails with a server its CA does not vouch for", func() {
		other, err := pki.NewCA("not the server's CA")
		Expect(err).NotTo(HaveOccurred())
		cfg := h.config()
		cfg.TLS.CAFile = filepath.Join(GinkgoT().TempDir(), "wrong-ca.crt")
		Expect(os.WriteFile(cfg.TLS.CAFile, other.PEM, 0o600)).To(Succeed())
		h.run(cfg)
		h.waitForPolls("failure", 3)
		Expect(h.rec.count()).To(BeZero())
		Expect(h.logger).To(gbytes.Say(`poll-failed.*certificate`))
	})

	It("never logs the client key", func() {
		h.run(h.config())
		Eventually(h.rec.count, 10*time.Second).Should(Equal(1))
		key, err := os.ReadFile(h.files.KeyFile)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(h.logger.Buffer().Contents())).NotTo(ContainSubstring(strings.TrimSpace(string(key))[40:80]))
	})
})

var _ = Describe("New", func() {
	var logger *lagertest.TestLogger

	BeforeEach(func() { logger = lagertest.NewTestLogger("test") })

	discard := func(source.NetworkPolicies, bool) {}

	It("refuses an invalid config", func() {
		_, err := policypoller.New(policypoller.Config{}, logger, nil, discard)
		Expect(err).To(MatchError(ContainSubstring("invalid policy server poller config: tls: cert_file is required")))
	})

	It("names the TLS file it cannot read", func() {
		cfg := policypoller.Config{TLS: tlsconfig.Files{CertFile: "/nonexistent.crt", KeyFile: "/nonexistent.key", CAFile: "/nonexistent-ca.crt"}}
		_, err := policypoller.New(cfg, logger, nil, discard)
		Expect(err).To(MatchError(ContainSubstring("/nonexistent-ca.crt")))
	})

	It("needs a publish function", func() {
		h := newHarness()
		_, err := policypoller.New(h.config(), logger, nil, nil)
		Expect(err).To(MatchError(ContainSubstring("a logger and a publish function are required")))
	})

	It("reports, rather than panics on, metrics registered twice", func() {
		h := newHarness()
		reg := prometheus.NewRegistry()
		_, err := policypoller.New(h.config(), logger, reg, discard)
		Expect(err).NotTo(HaveOccurred())
		_, err = policypoller.New(h.config(), logger, reg, discard)
		Expect(err).To(MatchError(ContainSubstring("registering policy server poller metrics")))
	})

	It("runs once, returning nil when its context ends", func() {
		h := newHarness()
		p, err := policypoller.New(h.config(), logger, nil, discard)
		Expect(err).NotTo(HaveOccurred())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		Eventually(logger, 5*time.Second).Should(gbytes.Say("policy-poller.synced"))
		Expect(p.Run(ctx)).To(MatchError("policypoller: Run may be called only once"))
		cancel()
		Eventually(done, 5*time.Second).Should(Receive(BeNil()))
	})

	It("stops promptly while a read hangs", func() {
		h := newHarness()
		h.server.Hang()
		cfg := h.config()
		cfg.RequestTimeout = jsonduration.Duration(time.Minute)
		p, err := policypoller.New(cfg, logger, nil, discard)
		Expect(err).NotTo(HaveOccurred())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		Eventually(h.server.Requests, 5*time.Second).Should(Equal(1))
		cancel()
		Eventually(done, 5*time.Second).Should(Receive(BeNil()))
		Expect(logger.LogMessages()).NotTo(ContainElement(HaveSuffix("poll-failed")), "a read cut short by shutdown is no failure")
	})
})
