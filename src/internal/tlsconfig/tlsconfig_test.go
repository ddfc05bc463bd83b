package tlsconfig_test

import (
	"crypto/tls"
	"io"
	"net"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/pki"
	"code.cloudfoundry.org/cf-mesh/internal/tlsconfig"
)

// handshake dials a TLS server built from serverFiles with a client built
// from clientFiles and returns the server certificate's common name.
func handshake(serverFiles, clientFiles tlsconfig.Files) (string, error) {
	serverConfig, err := tlsconfig.Server(serverFiles)
	Expect(err).NotTo(HaveOccurred())
	lis, err := tls.Listen("tcp", "127.0.0.1:0", serverConfig)
	Expect(err).NotTo(HaveOccurred())
	defer lis.Close()
	go func() {
		conn, err := lis.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.(*tls.Conn).Handshake()
		_, _ = io.Copy(io.Discard, conn)
	}()
	clientConfig, err := tlsconfig.Client(clientFiles)
	Expect(err).NotTo(HaveOccurred())
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", lis.Addr().String(), clientConfig)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := conn.Handshake(); err != nil {
		return "", err
	}
	// The server verifies the client after the client's handshake returns;
	// a read surfaces its verdict.
	_ = conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := conn.Read(make([]byte, 1)); err != nil && !isTimeout(err) {
		return "", err
	}
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName, nil
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

var _ = Describe("mutual TLS", func() {
	var (
		dir string
		ca  *pki.CA
	)

	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		var err error
		ca, err = pki.NewCA("test-ca")
		Expect(err).NotTo(HaveOccurred())
	})

	It("connects a client and server signed by the same CA", func() {
		server, err := ca.WriteFiles(dir, "copilot", "127.0.0.1")
		Expect(err).NotTo(HaveOccurred())
		client, err := ca.WriteFiles(dir, "pilot")
		Expect(err).NotTo(HaveOccurred())
		client.ServerName = "127.0.0.1"
		Expect(handshake(server, client)).To(Equal("copilot"))
	})

	It("refuses a client whose certificate another CA signed", func() {
		server, err := ca.WriteFiles(dir, "copilot", "127.0.0.1")
		Expect(err).NotTo(HaveOccurred())
		other, err := pki.NewCA("other-ca")
		Expect(err).NotTo(HaveOccurred())
		otherDir := GinkgoT().TempDir()
		client, err := other.WriteFiles(otherDir, "intruder")
		Expect(err).NotTo(HaveOccurred())
		client.CAFile = server.CAFile
		client.ServerName = "127.0.0.1"
		_, err = handshake(server, client)
		Expect(err).To(HaveOccurred())
	})

	It("picks up a rotated server certificate without a restart", func() {
		server, err := ca.WriteFiles(dir, "copilot", "127.0.0.1")
		Expect(err).NotTo(HaveOccurred())
		client, err := ca.WriteFiles(dir, "pilot")
		Expect(err).NotTo(HaveOccurred())
		client.ServerName = "127.0.0.1"
		serverConfig, err := tlsconfig.Server(server)
		Expect(err).NotTo(HaveOccurred())

		certPEM, keyPEM, err := ca.Issue("copilot-rotated", "127.0.0.1")
		Expect(err).NotTo(HaveOccurred())
		later := time.Now().Add(time.Minute)
		Expect(os.WriteFile(server.CertFile, certPEM, 0o600)).To(Succeed())
		Expect(os.WriteFile(server.KeyFile, keyPEM, 0o600)).To(Succeed())
		Expect(os.Chtimes(server.CertFile, later, later)).To(Succeed())
		Expect(os.Chtimes(server.KeyFile, later, later)).To(Succeed())

		cert, err := serverConfig.GetCertificate(nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(cert.Leaf.Subject.CommonName).To(Equal("copilot-rotated"))
	})

	It("keeps the last good certificate when a rotation writes garbage", func() {
		server, err := ca.WriteFiles(dir, "copilot", "127.0.0.1")
		Expect(err).NotTo(HaveOccurred())
		serverConfig, err := tlsconfig.Server(server)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(server.CertFile, []byte("not a certificate"), 0o600)).To(Succeed())
		later := time.Now().Add(time.Minute)
		Expect(os.Chtimes(server.CertFile, later, later)).To(Succeed())
		cert, err := serverConfig.GetCertificate(nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(cert.Leaf.Subject.CommonName).To(Equal("copilot"))
	})

	DescribeTable("rejects incomplete or unreadable files with the field's name",
		func(f tlsconfig.Files, want string) {
			_, err := tlsconfig.Server(f)
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("no key", tlsconfig.Files{CertFile: "/dev/null", CAFile: "/dev/null"}, "key_file is required"),
		Entry("missing CA file", tlsconfig.Files{CertFile: "/dev/null", KeyFile: "/dev/null", CAFile: "/nonexistent/ca.crt"}, "ca_file: open /nonexistent/ca.crt"),
		Entry("CA without PEM", tlsconfig.Files{CertFile: "/dev/null", KeyFile: "/dev/null", CAFile: "/dev/null"}, "holds no PEM certificate"),
	)
})
