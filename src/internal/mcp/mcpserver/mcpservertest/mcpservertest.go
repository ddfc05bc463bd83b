// Package mcpservertest is test support for the MCP runners, in the spirit
// of net/http/httptest: a throwaway PKI for mTLS between a copilot and a
// pilot, a gRPC server on 127.0.0.1, a TCP proxy that can turn into a black
// hole (for keepalive tests), and a reader for Prometheus metrics.
// Only tests import it; its helpers are not hardened for production use.
package mcpservertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// PKI is a throwaway CA with a server certificate for 127.0.0.1 and a client
// certificate, both signed by the CA.
type PKI struct {
	pool   *x509.CertPool
	server tls.Certificate
	client tls.Certificate
}

// NewPKI generates a CA and its two leaf certificates.
func NewPKI() (*PKI, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "cf-mesh test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	server, err := leaf(ca, caKey, 2, "copilot", x509.ExtKeyUsageServerAuth)
	if err != nil {
		return nil, err
	}
	client, err := leaf(ca, caKey, 3, "pilot", x509.ExtKeyUsageClientAuth)
	if err != nil {
		return nil, err
	}
	return &PKI{pool: pool, server: server, client: client}, nil
}

func leaf(ca *x509.Certificate, caKey *ecdsa.PrivateKey, serial int64, name string, usage x509.ExtKeyUsage) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{name + ".cf-mesh.internal"},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// ServerCredentials require and verify a client certificate from the CA.
func (p *PKI) ServerCredentials() credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{p.server},
		ClientCAs:    p.pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	})
}

// ClientCredentials present the client certificate and trust the CA.
func (p *PKI) ClientCredentials() credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{p.client},
		RootCAs:      p.pool,
		MinVersion:   tls.VersionTLS12,
	})
}

// ClientCredentialsWithoutCertificate trust the CA but present no client
// certificate.
func (p *PKI) ClientCredentialsWithoutCertificate() credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{RootCAs: p.pool, MinVersion: tls.VersionTLS12})
}

// Server is a gRPC server listening on loopback.
type Server struct {
	GRPC *grpc.Server
	Addr string
	done chan struct{}
}

// Serve starts a gRPC server on addr ("127.0.0.1:0" for any port) with the
// services register adds.
func Serve(addr string, register func(*grpc.Server), opts ...grpc.ServerOption) (*Server, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	g := grpc.NewServer(opts...)
	register(g)
	s := &Server{GRPC: g, Addr: lis.Addr().String(), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		_ = g.Serve(lis)
	}()
	return s, nil
}

// Stop closes the listener and every connection, and waits for Serve to
// return.
func (s *Server) Stop() {
	s.GRPC.Stop()
	<-s.done
}

// MetricValue returns the value of the counter or gauge name whose labels
// include labels, or 0 when it has not been created.
func MetricValue(g prometheus.Gatherer, name string, labels map[string]string) float64 {
	families, err := g.Gather()
	if err != nil {
		panic(err)
	}
	for _, family := range families {
		if family.GetName() != name {
			continue
		}
		for _, m := range family.GetMetric() {
			if hasLabels(m.GetLabel(), labels) {
				return m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return 0
}

func hasLabels[L interface {
	GetName() string
	GetValue() string
}](got []L, want map[string]string) bool {
	matched := 0
	for _, l := range got {
		if v, ok := want[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			matched++
		}
	}
	return matched == len(want)
}
