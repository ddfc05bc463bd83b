package ccpoller_test

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller/ccpoller"
)

var _ = Describe("New", func() {
	var logger *lagertest.TestLogger

	BeforeEach(func() {
		logger = lagertest.NewTestLogger("test")
	})

	discard := func(source.DesiredRoutes) {}

	It("refuses an invalid config", func() {
		cfg := validConfig()
		cfg.APIURL = ""
		_, err := ccpoller.New(cfg, logger, nil, discard)
		Expect(err).To(MatchError("invalid Cloud Controller poller config: api_url is required"))
	})

	It("needs a publish function", func() {
		_, err := ccpoller.New(validConfig(), logger, nil, nil)
		Expect(err).To(HaveOccurred())
	})

	It("refuses a CA file it cannot read", func() {
		cfg := validConfig()
		cfg.CACertFile = filepath.Join(GinkgoT().TempDir(), "missing.pem")
		_, err := ccpoller.New(cfg, logger, nil, discard)
		Expect(err).To(MatchError(ContainSubstring("reading ca_cert_file")))
	})

	It("refuses a CA file without certificates", func() {
		cfg := validConfig()
		cfg.CACertFile = filepath.Join(GinkgoT().TempDir(), "empty.pem")
		Expect(os.WriteFile(cfg.CACertFile, []byte("not a certificate"), 0o600)).To(Succeed())
		_, err := ccpoller.New(cfg, logger, nil, discard)
		Expect(err).To(MatchError(ContainSubstring("holds no PEM certificate")))
	})

	It("works without a registry", func() {
		_, err := ccpoller.New(validConfig(), logger, nil, discard)
		Expect(err).NotTo(HaveOccurred())
	})

	It("reports, rather than panics on, metrics registered twice", func() {
		reg := prometheus.NewRegistry()
		_, err := ccpoller.New(validConfig(), logger, reg, discard)
		Expect(err).NotTo(HaveOccurred())
		_, err = ccpoller.New(validConfig(), logger, reg, discard)
		Expect(err).To(MatchError(ContainSubstring("registering Cloud Controller poller metrics")))
	})

	It("runs once, returning nil when its context ends", func() {
		cfg := validConfig()
		cfg.APIURL = "http://127.0.0.1:1" // nothing listens: connect keeps retrying
		p, err := ccpoller.New(cfg, logger, nil, discard)
		Expect(err).NotTo(HaveOccurred())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		Eventually(logger, 5*time.Second).Should(gbytes.Say("connect-failed"))

		Expect(p.Run(ctx)).To(MatchError("ccpoller: Run may be called only once"))

		cancel()
		Eventually(done, 5*time.Second).Should(Receive(BeNil()))
	})
})
