package policypoller_test

import (
	"bytes"
	"encoding/json"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source/networkpolicy/policypoller"
	"code.cloudfoundry.org/cf-mesh/internal/tlsconfig"
)

var tlsFiles = tlsconfig.Files{CertFile: "/c.crt", KeyFile: "/c.key", CAFile: "/ca.crt"}

var _ = Describe("Config", func() {
	It("reads the JSON BOSH renders, durations as strings", func() {
		data := []byte(`{
			"address": "https://policy-server.service.cf.internal:4003",
			"tls": {"cert_file": "/var/vcap/jobs/copilot/config/certs/policy_server_client.crt",
			        "key_file": "/var/vcap/jobs/copilot/config/certs/policy_server_client.key",
			        "ca_file": "/var/vcap/jobs/copilot/config/certs/policy_server_ca.crt"},
			"poll_interval": "10s",
			"request_timeout": "2s"
		}`)
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var cfg policypoller.Config
		Expect(dec.Decode(&cfg)).To(Succeed())
		Expect(cfg.Validate()).To(Succeed())
		Expect(cfg.PollInterval.Std()).To(Equal(10 * time.Second))
		Expect(cfg.RequestTimeout.Std()).To(Equal(2 * time.Second))
		Expect(cfg.TLS.KeyFile).To(HaveSuffix("policy_server_client.key"))
	})

	It("defaults to cf-deployment's policy server, polled as often as the vxlan-policy-agent polls it", func() {
		cfg := policypoller.Config{TLS: tlsFiles}.WithDefaults()
		Expect(cfg.Address).To(Equal("https://policy-server.service.cf.internal:4003"))
		Expect(cfg.PollInterval.Std()).To(Equal(5 * time.Second))
		Expect(cfg.RequestTimeout.Std()).To(Equal(5 * time.Second))
		Expect(cfg.Validate()).To(Succeed())
	})

	DescribeTable("reports what is wrong, naming the field",
		func(change func(*policypoller.Config), want string) {
			cfg := policypoller.Config{TLS: tlsFiles}.WithDefaults()
			change(&cfg)
			Expect(cfg.Validate()).To(MatchError(ContainSubstring(want)))
		},
		Entry("no client certificate", func(c *policypoller.Config) { c.TLS = tlsconfig.Files{} },
			"tls: cert_file is required"),
		Entry("no CA", func(c *policypoller.Config) { c.TLS.CAFile = "" }, "ca_file is required"),
		Entry("plain HTTP", func(c *policypoller.Config) { c.Address = "http://policy-server.service.cf.internal:4003" },
			"must be an https URL"),
		Entry("no host", func(c *policypoller.Config) { c.Address = "https://:4003" }, "has no host"),
		Entry("a path", func(c *policypoller.Config) { c.Address = "https://policy-server:4003/networking" },
			"must be scheme://host[:port] only"),
		Entry("credentials", func(c *policypoller.Config) { c.Address = "https://u:p@policy-server:4003" },
			"must be scheme://host[:port] only"),
		Entry("not a URL", func(c *policypoller.Config) { c.Address = "https://[::1" }, "address is not a URL"),
		Entry("a negative poll interval", func(c *policypoller.Config) { c.PollInterval = -1 }, "poll_interval -1ns must be positive"),
		Entry("a negative timeout", func(c *policypoller.Config) { c.RequestTimeout = -1 }, "request_timeout -1ns must be positive"),
	)
})
