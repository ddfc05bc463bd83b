package testbed

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/nats-io/nats-server/v2/server"
)

// natsStartTimeout bounds an embedded NATS start.
const natsStartTimeout = 10 * time.Second

// NATS is an embedded nats-server on 127.0.0.1 that can be stopped and
// started again on the same port, so its clients reconnect to the same URL.
type NATS struct {
	logger lager.Logger

	mu     sync.Mutex
	port   int
	server *server.Server
}

// StartNATS starts an embedded NATS on a free loopback port.
func StartNATS(logger lager.Logger) (*NATS, error) {
	n := &NATS{logger: logger.Session("nats"), port: -1}
	if err := n.Start(); err != nil {
		return nil, err
	}
	return n, nil
}

// URL is nats://127.0.0.1:<port>, the same across restarts.
func (n *NATS) URL() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return fmt.Sprintf("nats://127.0.0.1:%d", n.port)
}

// Running reports whether the server is up.
func (n *NATS) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.server != nil
}

// Start starts the server, on the port it had before if it ran before.
// Starting a running server does nothing.
func (n *NATS) Start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.server != nil {
		return nil
	}
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: n.port, NoLog: true, NoSigs: true})
	if err != nil {
		return fmt.Errorf("embedded NATS: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(natsStartTimeout) {
		s.Shutdown()
		return fmt.Errorf("embedded NATS did not start on port %d within %s", n.port, natsStartTimeout)
	}
	n.server = s
	n.port = s.Addr().(*net.TCPAddr).Port
	n.logger.Info("nats-started", lager.Data{"port": n.port})
	return nil
}

// Stop shuts the server down; every client is disconnected.
func (n *NATS) Stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.server == nil {
		return
	}
	n.server.Shutdown()
	n.server.WaitForShutdown()
	n.server = nil
	n.logger.Info("nats-stopped", lager.Data{"port": n.port})
}

// Outage stops NATS now and starts it again after d, by itself. The
// returned Fault's Err says whether the restart failed.
func (n *NATS) Outage(d time.Duration) *Fault {
	f := newFault("nats-outage", d)
	n.Stop()
	go func() {
		defer f.end()
		select {
		case <-time.After(d):
		case <-f.cancelled:
		}
		if err := n.Start(); err != nil {
			f.err = errors.Join(f.err, err)
		}
	}()
	return f
}
