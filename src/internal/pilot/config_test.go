package pilot_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/pilot"
)

var _ = Describe("Config", func() {
	It("fills defaults", func() {
		cfg, err := pilot.Parse(strings.NewReader(`{"copilot": {"addresses": ["127.0.0.1:9009"]}}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.XDS.ListenAddress).To(Equal("127.0.0.1:15010"))
		Expect(cfg.StatusAddress).To(Equal("127.0.0.1:15014"))
		Expect(cfg.Debounce.Std()).To(Equal(100 * time.Millisecond))
		Expect(cfg.Copilot.Version).To(Equal("v1"))
		Expect(cfg.Copilot.NodeID).To(HavePrefix("router~"))
	})

	DescribeTable("rejects configurations with the field and the reason",
		func(config, want string) {
			_, err := pilot.Parse(strings.NewReader(config))
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("no copilot", `{}`, "copilot: addresses: at least one copilot address is required"),
		Entry("plaintext to a remote copilot", `{"copilot": {"addresses": ["10.0.0.5:9009"]}}`,
			"copilot_tls: 10.0.0.5:9009 is not a loopback address, so TLS is required"),
		Entry("plaintext xDS off the host", `{"copilot": {"addresses": ["127.0.0.1:9009"]}, "xds": {"listen_address": "0.0.0.0:15010"}}`,
			"xds.tls: 0.0.0.0:15010 is not a loopback address"),
		Entry("incomplete xDS TLS", `{"copilot": {"addresses": ["127.0.0.1:9009"]}, "xds": {"tls": {"ca_file": "/nonexistent/ca.crt"}}}`,
			"xds.tls: cert_file is required when TLS is configured"),
		Entry("a kind the pilot cannot ask for", `{"copilot": {"addresses": ["127.0.0.1:9009"], "kinds": ["Ingress"]}}`,
			`unknown kind "Ingress"`),
		Entry("a typo in a property", `{"copilots": {}}`, `unknown field "copilots"`),
		Entry("a log level nobody knows", `{"copilot": {"addresses": ["127.0.0.1:9009"]}, "log_level": "loud"}`, `log_level "loud"`),
	)
})
