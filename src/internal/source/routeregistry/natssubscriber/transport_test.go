package natssubscriber_test

import (
	"context"
	"fmt"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
)

// runUntilRouterStart runs a subscriber with cfg until a client on
// clientURL sees its router.start, then stops it.
func runUntilRouterStart(cfg natssubscriber.Config, logger *lagertest.TestLogger, clientURL string, clientOpts ...nats.Option) {
	client := connectClient(clientURL, clientOpts...)
	defer client.Close()
	starts, err := client.SubscribeSync(routeregistry.SubjectStart)
	Expect(err).NotTo(HaveOccurred())
	Expect(client.Flush()).To(Succeed())

	subscriber, err := natssubscriber.New(cfg, logger, prometheus.NewRegistry(), nil)
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- subscriber.Run(ctx) }()

	nextMsg(starts)
	cancel()
	Eventually(done, 5*time.Second).Should(Receive(BeNil()))
}

var _ = Describe("NATS transport", func() {
	It("authenticates with user and password and never logs the password", func() {
		natsServer := startNATS(-1, func(o *server.Options) { o.Username, o.Password = "nats", "s3cr3t-pw" })
		defer natsServer.Shutdown()
		logger := lagertest.NewTestLogger("test")

		port := natsPort(natsServer)
		cfg := natssubscriber.Config{
			// Credentials both in the URL (as route_registrar renders them)
			// and in the config fields.
			Servers:  []string{fmt.Sprintf("nats://nats:s3cr3t-pw@127.0.0.1:%d", port)},
			User:     "nats",
			Password: "s3cr3t-pw",
		}
		runUntilRouterStart(cfg, logger, fmt.Sprintf("nats://127.0.0.1:%d", port), nats.UserInfo("nats", "s3cr3t-pw"))

		Expect(logger.LogMessages()).To(ContainElement("test.nats-subscriber.nats-connected"))
		Expect(string(logger.Buffer().Contents())).NotTo(ContainSubstring("s3cr3t-pw"))
	})

	It("connects to a TLS NATS that requires a client certificate", func() {
		pki := writeTestPKI(GinkgoT().TempDir())
		tlsConfig, err := server.GenTLSConfig(&server.TLSConfigOpts{
			CertFile: pki.ServerCertFile, KeyFile: pki.ServerKeyFile, CaFile: pki.CAFile, Verify: true,
		})
		Expect(err).NotTo(HaveOccurred())
		natsServer := startNATS(-1, func(o *server.Options) {
			o.TLS, o.TLSVerify, o.TLSConfig, o.TLSTimeout = true, true, tlsConfig, 5
		})
		defer natsServer.Shutdown()

		url := fmt.Sprintf("tls://127.0.0.1:%d", natsPort(natsServer))
		cfg := natssubscriber.Config{
			Servers:    []string{url},
			CACertFile: pki.CAFile, CertFile: pki.ClientCertFile, KeyFile: pki.ClientKeyFile,
		}
		runUntilRouterStart(cfg, lagertest.NewTestLogger("test"), url,
			nats.RootCAs(pki.CAFile), nats.ClientCert(pki.ClientCertFile, pki.ClientKeyFile))
	})
})
