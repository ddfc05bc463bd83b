package gatewaybootstrap_test

import (
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/encoding/protojson"

	"code.cloudfoundry.org/cf-mesh/internal/gatewaybootstrap"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/pki"
)

// readSecret parses an SDS file the way Envoy's path config source does.
func readSecret(file []byte) *tlsv3.Secret {
	resp := &discoveryv3.DiscoveryResponse{}
	Expect(protojson.Unmarshal(file, resp)).To(Succeed())
	Expect(resp.GetResources()).To(HaveLen(1))
	secret := &tlsv3.Secret{}
	Expect(resp.GetResources()[0].UnmarshalTo(secret)).To(Succeed())
	Expect(secret.ValidateAll()).To(Succeed())
	return secret
}

var _ = Describe("SDS secret files", func() {
	It("holds a key pair under its name", func() {
		ca, err := pki.NewCA("ca")
		Expect(err).NotTo(HaveOccurred())
		cert, key, err := ca.Issue("apps", "*.apps.example.com")
		Expect(err).NotTo(HaveOccurred())
		file, err := gatewaybootstrap.CertificateSecretFile("apps-wildcard", cert, key)
		Expect(err).NotTo(HaveOccurred())
		secret := readSecret(file)
		Expect(secret.GetName()).To(Equal("apps-wildcard"))
		Expect(secret.GetTlsCertificate().GetCertificateChain().GetInlineBytes()).To(Equal(cert))
		Expect(secret.GetTlsCertificate().GetPrivateKey().GetInlineBytes()).To(Equal(key))
	})

	It("holds trusted CAs under its name", func() {
		ca, err := pki.NewCA("instance identity")
		Expect(err).NotTo(HaveOccurred())
		file, err := gatewaybootstrap.ValidationSecretFile("instance-identity-ca", ca.PEM)
		Expect(err).NotTo(HaveOccurred())
		secret := readSecret(file)
		Expect(secret.GetValidationContext().GetTrustedCa().GetInlineBytes()).To(Equal(ca.PEM))
	})

	It("refers to a secret by its file in a watched directory", func() {
		config := gatewaybootstrap.FileSecretConfig("/var/vcap/jobs/gateway/config/sds", "apps")
		Expect(config.GetSdsConfig().GetPathConfigSource().GetPath()).To(Equal("/var/vcap/jobs/gateway/config/sds/apps.yaml"))
		Expect(config.GetSdsConfig().GetPathConfigSource().GetWatchedDirectory().GetPath()).To(Equal("/var/vcap/jobs/gateway/config/sds"))
	})
})
