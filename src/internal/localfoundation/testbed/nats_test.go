package testbed_test

import (
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	"github.com/nats-io/nats.go"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

var _ = Describe("NATS", func() {
	var n *testbed.NATS

	BeforeEach(func() {
		var err error
		n, err = testbed.StartNATS(lagertest.NewTestLogger("nats"))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(n.Stop)
	})

	connect := func() *nats.Conn {
		conn, err := nats.Connect(n.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(conn.Close)
		return conn
	}

	It("comes back on the same URL, and its clients reconnect", func() {
		url := n.URL()
		conn := connect()
		n.Stop()
		Expect(n.Running()).To(BeFalse())
		Eventually(conn.IsConnected, 5*time.Second).Should(BeFalse())
		Expect(n.Start()).To(Succeed())
		Expect(n.URL()).To(Equal(url))
		Eventually(conn.IsConnected, 10*time.Second).Should(BeTrue())
	})

	It("is down for an outage's duration and up again by itself", func() {
		conn := connect()
		outage := n.Outage(300 * time.Millisecond)
		Expect(outage.Name).To(Equal("nats-outage"))
		Expect(n.Running()).To(BeFalse())
		Eventually(outage.Done(), 5*time.Second).Should(BeClosed())
		Expect(outage.Err()).NotTo(HaveOccurred())
		Expect(n.Running()).To(BeTrue())
		Eventually(conn.IsConnected, 10*time.Second).Should(BeTrue())
	})

	It("ends an outage early when asked", func() {
		outage := n.Outage(time.Hour)
		outage.End()
		Expect(outage.Done()).To(BeClosed())
		Expect(n.Running()).To(BeTrue())
	})
})
