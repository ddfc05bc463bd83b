package testbed_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/copilot"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
	"code.cloudfoundry.org/cf-mesh/internal/pilot"
)

var _ = Describe("Process configurations", func() {
	It("are files the copilot and the pilot load, wired to each other with mutual TLS", func() {
		dir := GinkgoT().TempDir()
		copilotPath, pilotPath, err := testbed.WriteConfigs(dir, "http://127.0.0.1:9022", "nats://127.0.0.1:4222")
		Expect(err).NotTo(HaveOccurred())

		cop, err := copilot.Load(copilotPath)
		Expect(err).NotTo(HaveOccurred())
		pil, err := pilot.Load(pilotPath)
		Expect(err).NotTo(HaveOccurred())

		Expect(cop.CloudController.APIURL).To(Equal("http://127.0.0.1:9022"))
		Expect(cop.NATS.Servers).To(ConsistOf("nats://127.0.0.1:4222"))
		Expect(pil.Copilot.Addresses).To(ConsistOf(cop.MCP.ListenAddress))
		Expect(cop.MCP.TLS.CertFile).To(BeAnExistingFile())
		Expect(pil.CopilotTLS.CertFile).To(BeAnExistingFile())
		Expect(cop.Mesh.InternalDomains).To(ConsistOf(testbed.DefaultInternalDomain))
		Expect(cop.NetworkPolicies).NotTo(BeNil(), "the copilot reads the policy server")
		Expect(cop.NetworkPolicies.TLS.CertFile).To(BeAnExistingFile())
		Expect(cop.NetworkPolicies.TLS.CAFile).To(BeAnExistingFile())
		Expect(cop.Mesh.ContainerNetwork).To(Equal(testbed.MeshContainerIP+"/32"), "only mesh apps are in the container network")
		Expect(cop.Mesh.FrontendCertificates).To(ConsistOf(HaveField("Name", testbed.FrontendCertificateName)))
		for _, secret := range []string{testbed.FrontendCertificateName, "upstream-client", "instance-identity-ca"} {
			Expect(filepath.Join(pil.Gateway.SecretsDirectory, secret+".yaml")).To(BeAnExistingFile())
		}
		key, err := os.ReadFile(filepath.Join(dir, "copilot.json"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(key)).NotTo(ContainSubstring("PRIVATE KEY"), "keys stay in their own files")
	})
})
