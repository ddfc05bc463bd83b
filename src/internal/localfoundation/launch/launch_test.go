package launch_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/gatewaybootstrap"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/launch"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/pki"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

var _ = Describe("Launching the local processes", func() {
	It("hands out distinct free loopback addresses", func() {
		var a, b string
		Expect(launch.FreeAddresses(&a, &b)).To(Succeed())
		Expect(a).To(HavePrefix("127.0.0.1:"))
		Expect(b).To(HavePrefix("127.0.0.1:"))
		Expect(a).NotTo(Equal(b))
		Expect(launch.PortOf(a)).To(BeNumerically(">", 0))
	})

	It("picks ports below the kernel's ephemeral range and never hands one out twice", func() {
		data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
		if err != nil {
			Skip("no /proc/sys/net/ipv4/ip_local_port_range: " + err.Error())
		}
		var ephemeralLow uint32
		_, err = fmt.Sscan(string(data), &ephemeralLow)
		Expect(err).NotTo(HaveOccurred())

		seen := map[string]bool{}
		for range 300 {
			address, err := launch.FreeAddress()
			Expect(err).NotTo(HaveOccurred())
			Expect(seen).NotTo(HaveKey(address))
			seen[address] = true
			Expect(launch.PortOf(address)).To(BeNumerically("<", ephemeralLow), "an outgoing connection cannot take it")
		}
	})

	It("skips a port something already listens on", func() {
		taken := map[uint32]bool{}
		var listeners []net.Listener
		for range 50 {
			address, err := launch.FreeAddress()
			Expect(err).NotTo(HaveOccurred())
			lis, err := net.Listen("tcp", address)
			Expect(err).NotTo(HaveOccurred(), "the address was free")
			listeners = append(listeners, lis)
			taken[launch.PortOf(address)] = true
		}
		DeferCleanup(func() {
			for _, lis := range listeners {
				lis.Close()
			}
		})
		for range 50 {
			address, err := launch.FreeAddress()
			Expect(err).NotTo(HaveOccurred())
			Expect(taken).NotTo(HaveKey(launch.PortOf(address)))
		}
	})

	DescribeTable("reads the port of an address",
		func(address string, port uint32) { Expect(launch.PortOf(address)).To(Equal(port)) },
		Entry("host and port", "127.0.0.1:9014", uint32(9014)),
		Entry("no port", "127.0.0.1", uint32(0)),
		Entry("not a port", "127.0.0.1:http", uint32(0)),
	)

	It("writes a configuration file only its owner reads", func() {
		path := filepath.Join(GinkgoT().TempDir(), "copilot.json")
		Expect(launch.WriteJSON(path, map[string]string{"status_address": "127.0.0.1:9014"})).To(Succeed())
		info, err := os.Stat(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		Expect(os.ReadFile(path)).To(MatchJSON(`{"status_address": "127.0.0.1:9014"}`))
	})

	It("writes the gateway's SDS files: upstream client certificate, upstream CA, frontend certificates", func() {
		ca, err := pki.NewCA("test CA")
		Expect(err).NotTo(HaveOccurred())
		cert, key, err := ca.Issue("apps", "*.apps.local")
		Expect(err).NotTo(HaveOccurred())
		dir := filepath.Join(GinkgoT().TempDir(), "sds")
		Expect(launch.WriteGatewaySecrets(dir, ca, launch.FrontendCertificate{Name: "apps-domain", Cert: cert, Key: key})).To(Succeed())

		entries, err := os.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		Expect(names).To(ConsistOf("apps-domain.yaml",
			xdsresources.DefaultUpstreamClientSecret+".yaml", xdsresources.DefaultUpstreamCASecret+".yaml"))
		frontend, err := os.ReadFile(filepath.Join(dir, "apps-domain.yaml"))
		Expect(err).NotTo(HaveOccurred())
		want, err := gatewaybootstrap.CertificateSecretFile("apps-domain", cert, key)
		Expect(err).NotTo(HaveOccurred())
		Expect(frontend).To(Equal(want), "the gateway job's rendering of the operator's key pair")
	})
})
