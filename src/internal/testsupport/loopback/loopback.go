package loopback

import (
	"context"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/launch"
)

// FreeAddress is a free port on 127.0.0.1 that an outgoing connection of a
// parallel test cannot take before the spec listens on it (see
// launch.FreeAddress).
func FreeAddress() string {
	address, err := launch.FreeAddress()
	Expect(err).NotTo(HaveOccurred())
	return address
}

// StartNATS runs an embedded nats-server for the spec and returns its URL.
func StartNATS() string {
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	Expect(err).NotTo(HaveOccurred())
	go s.Start()
	Expect(s.ReadyForConnections(10*time.Second)).To(BeTrue(), "embedded NATS starts")
	DeferCleanup(s.Shutdown)
	return s.ClientURL()
}

// Run starts a component for the spec and, at cleanup, stops it and
// expects it to return nil. The returned function stops it earlier.
func Run(component func(context.Context) error) (stop func()) {
	stop = Start(component)
	DeferCleanup(stop)
	return stop
}

// Start starts a component and returns the function that stops it and
// expects it to return nil; calling that more than once is harmless. The
// caller owns the component's lifetime (no cleanup is registered).
func Start(component func(context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- component(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		Eventually(done, 15*time.Second).Should(Receive(BeNil()), "the component stops cleanly")
	}
	return stop
}
