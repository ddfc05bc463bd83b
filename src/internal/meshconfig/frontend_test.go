package meshconfig_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/pki"
	"code.cloudfoundry.org/cf-mesh/internal/meshconfig"
)

var _ = Describe("FrontendCertificateFromPEM", func() {
	It("serves the certificate's DNS SANs", func() {
		ca, err := pki.NewCA("operator CA")
		Expect(err).NotTo(HaveOccurred())
		chain, _, err := ca.Issue("apps", "*.apps.example.com", "apps.example.com", "10.0.0.1")
		Expect(err).NotTo(HaveOccurred())
		cert, err := meshconfig.FrontendCertificateFromPEM("apps-wildcard", append(chain, ca.PEM...))
		Expect(err).NotTo(HaveOccurred())
		Expect(cert).To(Equal(meshconfig.FrontendCertificate{Name: "apps-wildcard", Hosts: []string{"*.apps.example.com", "apps.example.com"}}))
	})

	DescribeTable("refuses what it cannot serve, naming the certificate",
		func(name string, chain []byte, want string) {
			_, err := meshconfig.FrontendCertificateFromPEM(name, chain)
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("a name that is no DNS label", "Apps_Wildcard", nil, "must be a DNS label"),
		Entry("no PEM", "apps", []byte("not pem"), "no PEM CERTIFICATE block"),
		Entry("a key instead of a certificate", "apps", []byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"), "no PEM CERTIFICATE block"),
		Entry("a corrupt certificate", "apps", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "frontend certificate apps:"),
	)

	It("refuses a certificate without DNS names", func() {
		ca, err := pki.NewCA("operator CA")
		Expect(err).NotTo(HaveOccurred())
		chain, _, err := ca.Issue("ip-only", "10.0.0.1")
		Expect(err).NotTo(HaveOccurred())
		_, err = meshconfig.FrontendCertificateFromPEM("ip-only", chain)
		Expect(err).To(MatchError(ContainSubstring("no DNS subject alternative names")))
	})
})
