package testbed_test

import (
	"crypto/x509"
	"encoding/pem"
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

var _ = Describe("Mesh identities", func() {
	var f *testbed.Foundation

	BeforeEach(func() {
		var err error
		f, err = testbed.NewMeshFoundation(GinkgoT().TempDir())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(f.Stop)
	})

	parse := func(path string) *x509.Certificate {
		data, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		block, _ := pem.Decode(data)
		Expect(block).NotTo(BeNil(), path)
		cert, err := x509.ParseCertificate(block.Bytes)
		Expect(err).NotTo(HaveOccurred())
		return cert
	}

	It("issues Diego-shaped instance identities on the mesh container IP, SANs only as asked, signed by the CA the cell's pilot trusts", func() {
		app := &testbed.App{Name: "orders", GUID: "0a1b2c3d-0000-4000-8000-00000000000a"}
		callee, err := f.MeshIdentity(app, "instance-1", "orders.apps.internal")
		Expect(err).NotTo(HaveOccurred())
		caller, err := f.MeshIdentity(app, "instance-2")
		Expect(err).NotTo(HaveOccurred())

		Expect(callee.IP).To(Equal(testbed.MeshContainerIP))
		cert := parse(callee.CertFile)
		Expect(cert.Subject.CommonName).To(Equal("instance-1"))
		Expect(cert.Subject.OrganizationalUnit).To(ContainElement("app:" + app.GUID))
		Expect(cert.DNSNames).To(ConsistOf("orders.apps.internal"))
		Expect(parse(caller.CertFile).DNSNames).To(BeEmpty(), "grpc-go would match a caller's SANs instead of its app OU")

		roots := x509.NewCertPool()
		roots.AddCert(parse(callee.CAFile))
		_, err = cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		Expect(err).NotTo(HaveOccurred())
		Expect(f.PolicyServer().URL()).To(HavePrefix("https://"))
	})
})
