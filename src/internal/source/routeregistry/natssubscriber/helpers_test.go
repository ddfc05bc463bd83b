package natssubscriber_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
)

// startNATS starts an embedded nats-server on 127.0.0.1; port -1 picks a
// free port. Extra options may set auth or TLS.
func startNATS(port int, configure ...func(*server.Options)) *server.Server {
	opts := &server.Options{Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true}
	for _, c := range configure {
		c(opts)
	}
	s, err := server.NewServer(opts)
	Expect(err).NotTo(HaveOccurred())
	go s.Start()
	Expect(s.ReadyForConnections(5*time.Second)).To(BeTrue(), "nats-server did not start")
	return s
}

func natsPort(s *server.Server) int {
	return s.Addr().(*net.TCPAddr).Port
}

// connectClient connects a test client that plays route-emitter or
// another router.
func connectClient(url string, opts ...nats.Option) *nats.Conn {
	nc, err := nats.Connect(url, append([]nats.Option{nats.Timeout(5 * time.Second)}, opts...)...)
	Expect(err).NotTo(HaveOccurred())
	return nc
}

// tcpProxy forwards 127.0.0.1 connections to a NATS server and can cut
// them, so a test decides exactly when the subscriber loses and regains
// NATS while test clients stay connected to the server directly.
type tcpProxy struct {
	listener net.Listener
	target   string

	mu    sync.Mutex
	up    bool
	conns []net.Conn
}

func newTCPProxy(target string) *tcpProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	p := &tcpProxy{listener: l, target: target, up: true}
	go p.serve()
	return p
}

func (p *tcpProxy) URL() string {
	return "nats://" + p.listener.Addr().String()
}

func (p *tcpProxy) serve() {
	for {
		downstream, err := p.listener.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		up := p.up
		p.mu.Unlock()
		if !up {
			_ = downstream.Close()
			continue
		}
		upstream, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			_ = downstream.Close()
			continue
		}
		p.track(downstream, upstream)
		go pipe(downstream, upstream)
		go pipe(upstream, downstream)
	}
}

func (p *tcpProxy) track(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns = append(p.conns, conns...)
}

func pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}

// Down cuts every proxied connection and refuses new ones.
func (p *tcpProxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = false
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// Up accepts connections again.
func (p *tcpProxy) Up() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = true
}

func (p *tcpProxy) Close() {
	_ = p.listener.Close()
	p.Down()
}

// metricValue reads a counter or gauge from reg; labels are name/value
// pairs that must all match. It returns 0 when the series does not exist.
func metricValue(reg *prometheus.Registry, name string, labels ...string) float64 {
	families, err := reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, family := range families {
		if family.GetName() != name {
			continue
		}
	metrics:
		for _, m := range family.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// testPKI is a CA with a server certificate for 127.0.0.1 and a client
// certificate, written as PEM files to a directory.
type testPKI struct {
	CAFile, ServerCertFile, ServerKeyFile, ClientCertFile, ClientKeyFile string
}

func writeTestPKI(dir string) testPKI {
	caKey, caCert := newCert("test-ca", nil, nil, nil)
	serverKey, serverCert := newCert("nats.service.cf.internal", caKey, caCert, func(t *x509.Certificate) {
		t.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	})
	clientKey, clientCert := newCert("copilot", caKey, caCert, func(t *x509.Certificate) {
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	})
	pki := testPKI{
		CAFile:         filepath.Join(dir, "ca.crt"),
		ServerCertFile: filepath.Join(dir, "server.crt"), ServerKeyFile: filepath.Join(dir, "server.key"),
		ClientCertFile: filepath.Join(dir, "client.crt"), ClientKeyFile: filepath.Join(dir, "client.key"),
	}
	writePEM(pki.CAFile, "CERTIFICATE", caCert.Raw)
	writePEM(pki.ServerCertFile, "CERTIFICATE", serverCert.Raw)
	writePEM(pki.ServerKeyFile, "EC PRIVATE KEY", marshalKey(serverKey))
	writePEM(pki.ClientCertFile, "CERTIFICATE", clientCert.Raw)
	writePEM(pki.ClientKeyFile, "EC PRIVATE KEY", marshalKey(clientKey))
	return pki
}

var serial int64

func newCert(cn string, parentKey *ecdsa.PrivateKey, parent *x509.Certificate, customize func(*x509.Certificate)) (*ecdsa.PrivateKey, *x509.Certificate) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	Expect(err).NotTo(HaveOccurred())
	serial++
	template := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if parent == nil {
		template.IsCA = true
		template.BasicConstraintsValid = true
		template.KeyUsage |= x509.KeyUsageCertSign
		parent, parentKey = template, key
	}
	if customize != nil {
		customize(template)
	}
	der, err := x509.CreateCertificate(rand.Reader, template, parent, &key.PublicKey, parentKey)
	Expect(err).NotTo(HaveOccurred())
	cert, err := x509.ParseCertificate(der)
	Expect(err).NotTo(HaveOccurred())
	return key, cert
}

func marshalKey(key *ecdsa.PrivateKey) []byte {
	der, err := x509.MarshalECPrivateKey(key)
	Expect(err).NotTo(HaveOccurred())
	return der
}

func writePEM(path, blockType string, der []byte) {
	Expect(os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600)).To(Succeed())
}

// nextMsg waits for the next message on a synchronous subscription.
func nextMsg(sub *nats.Subscription) *nats.Msg {
	msg, err := sub.NextMsg(5 * time.Second)
	Expect(err).NotTo(HaveOccurred(), fmt.Sprintf("no message on %s", sub.Subject))
	return msg
}

var errNotClosed = errors.New("not closed")

// closed reports whether ch is closed, for Eventually/Consistently.
func closed(ch <-chan struct{}) func() error {
	return func() error {
		select {
		case <-ch:
			return nil
		default:
			return errNotClosed
		}
	}
}

// testConfig is the subscriber specs' configuration: a 1s register
// interval and short timings, the initial sync's included (greet window
// 100ms, jitter 200ms, quiet 200ms, capped at 3s).
func testConfig(server string) natssubscriber.Config {
	return natssubscriber.Config{
		Servers:                 []string{server},
		HostIP:                  "10.0.0.9",
		InstanceID:              "copilot-0",
		MinimumRegisterInterval: jsonduration.Duration(time.Second),
		PruneThreshold:          jsonduration.Duration(1500 * time.Millisecond),
		PruneInterval:           jsonduration.Duration(50 * time.Millisecond),
		GreetWindow:             jsonduration.Duration(100 * time.Millisecond),
		RouteEmitterJitter:      jsonduration.Duration(200 * time.Millisecond),
		QuietPeriod:             jsonduration.Duration(200 * time.Millisecond),
		InitialSyncWait:         jsonduration.Duration(3 * time.Second),
		ReconnectWait:           jsonduration.Duration(50 * time.Millisecond),
	}
}
