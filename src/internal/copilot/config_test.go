package copilot_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/copilot"
)

var _ = Describe("Config", func() {
	It("fills defaults for a route-file copilot", func() {
		cfg, err := copilot.Parse(strings.NewReader(`{"routes_file": {"path": "/tmp/routes.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.MCP.ListenAddress).To(Equal("127.0.0.1:9009"))
		Expect(cfg.StatusAddress).To(Equal("127.0.0.1:9014"))
		Expect(cfg.Mesh.GatewayHTTPPort).To(BeEquivalentTo(80))
		Expect(cfg.Mesh.GatewayHTTPSPort).To(BeEquivalentTo(443))
		Expect(cfg.Mesh.InternalDomains).To(Equal([]string{"apps.internal"}))
		Expect(cfg.Mesh.ContainerNetwork).To(Equal("10.255.0.0/16"))
		Expect(cfg.Debounce.Std()).To(Equal(100 * time.Millisecond))
		Expect(cfg.RoutesFile.PollInterval.Std()).To(Equal(time.Second))
		Expect(cfg.NATS.MinimumRegisterInterval.Std()).To(Equal(20 * time.Second))
	})

	DescribeTable("rejects configurations with the field and the reason",
		func(config, want string) {
			_, err := copilot.Parse(strings.NewReader(config))
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("no route source", `{"nats": {"servers": ["nats://127.0.0.1:4222"]}}`,
			"one route source is required: cloud_controller or routes_file"),
		Entry("two route sources", `{"routes_file": {"path": "r.yaml"}, "cloud_controller": {"api_url": "https://api.example.com", "client_id": "c", "client_secret": "s"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}}`,
			"cloud_controller and routes_file are exclusive"),
		Entry("a route file without a path", `{"routes_file": {}, "nats": {"servers": ["nats://127.0.0.1:4222"]}}`,
			"routes_file.path: required"),
		Entry("a Cloud Controller without credentials", `{"cloud_controller": {"api_url": "https://api.example.com"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}}`,
			"cloud_controller: "),
		Entry("no NATS", `{"routes_file": {"path": "r.yaml"}}`, "nats: "),
		Entry("plaintext MCP off the host", `{"routes_file": {"path": "r.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}, "mcp": {"listen_address": "0.0.0.0:9009"}}`,
			"mcp.tls: 0.0.0.0:9009 is not a loopback address, so TLS is required"),
		Entry("incomplete MCP TLS", `{"routes_file": {"path": "r.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}, "mcp": {"listen_address": "10.0.0.1:9009", "tls": {"cert_file": "/nonexistent.crt"}}}`,
			"mcp.tls: key_file is required"),
		Entry("a gateway port that is no port", `{"routes_file": {"path": "r.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}, "mesh": {"gateway_http_port": 70000}}`,
			"mesh.gateway_http_port: 70000 is not a port"),
		Entry("a frontend certificate without its file", `{"routes_file": {"path": "r.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}, "mesh": {"frontend_certificates": [{"name": "apps"}]}}`,
			"mesh.frontend_certificates[0]: name and cert_file are required"),
		Entry("a container network that is no CIDR", `{"routes_file": {"path": "r.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}, "mesh": {"container_network": "10.255.0.0"}}`,
			`mesh.container_network: "10.255.0.0" is not a CIDR`),
		Entry("a typo in a property", `{"route_file": {"path": "r.yaml"}}`, `unknown field "route_file"`),
		Entry("a negative debounce", `{"routes_file": {"path": "r.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}, "debounce": "-1s"}`,
			"debounce: must not be negative"),
		Entry("debug APIs off the host", `{"routes_file": {"path": "r.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}, "status_address": "0.0.0.0:9014"}`,
			"status_address: 0.0.0.0:9014 is not a loopback address; debug APIs stay on loopback, set metrics_address"),
		Entry("a metrics address that is no address", `{"routes_file": {"path": "r.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}, "metrics_address": "9015"}`,
			`metrics_address: "9015" is not host:port`),
		Entry("a log level nobody knows", `{"routes_file": {"path": "r.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}, "log_level": "verbose"}`,
			`log_level "verbose"`),
		Entry("a policy server without a client certificate", `{"routes_file": {"path": "r.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}, "network_policies": {}}`,
			"network_policies: tls: cert_file is required"),
		Entry("a policy server over plain HTTP", `{"routes_file": {"path": "r.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}, "network_policies": {"address": "http://policy-server.service.cf.internal:4003", "tls": {"cert_file": "/c", "key_file": "/k", "ca_file": "/ca"}}}`,
			"network_policies: address \"http://policy-server.service.cf.internal:4003\" must be an https URL"),
		Entry("a policy server poll interval that is no duration", `{"routes_file": {"path": "r.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}, "network_policies": {"poll_interval": 5}}`,
			"duration must be a string"),
		Entry("a typo in a policy server property", `{"routes_file": {"path": "r.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}, "network_policies": {"adress": "https://x"}}`,
			`unknown field "adress"`),
	)

	It("reads no policy server unless configured", func() {
		cfg, err := copilot.Parse(strings.NewReader(`{"routes_file": {"path": "/tmp/routes.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.NetworkPolicies).To(BeNil())
	})

	It("fills the policy server's defaults: cf-deployment's address, every 5s", func() {
		cfg, err := copilot.Parse(strings.NewReader(`{"routes_file": {"path": "/tmp/routes.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]},
			"network_policies": {"tls": {"cert_file": "/c.crt", "key_file": "/c.key", "ca_file": "/ca.crt"}}}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.NetworkPolicies).NotTo(BeNil())
		Expect(cfg.NetworkPolicies.Address).To(Equal("https://policy-server.service.cf.internal:4003"))
		Expect(cfg.NetworkPolicies.PollInterval.Std()).To(Equal(5 * time.Second))
		Expect(cfg.NetworkPolicies.RequestTimeout.Std()).To(Equal(5 * time.Second))
		Expect(cfg.NetworkPolicies.TLS.CertFile).To(Equal("/c.crt"))
	})
})
