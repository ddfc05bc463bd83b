package meshctl_test

import (
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/gatewaybootstrap"
	"code.cloudfoundry.org/cf-mesh/internal/meshctl"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// parseBootstrap reads what meshctl printed as Envoy would.
func parseBootstrap(out string) *bootstrapv3.Bootstrap {
	GinkgoHelper()
	var b bootstrapv3.Bootstrap
	Expect(protojson.Unmarshal([]byte(out), &b)).To(Succeed())
	Expect(b.ValidateAll()).To(Succeed())
	return &b
}

func build(o gatewaybootstrap.Options) *bootstrapv3.Bootstrap {
	GinkgoHelper()
	b, err := gatewaybootstrap.Build(o)
	Expect(err).NotTo(HaveOccurred())
	return b
}

var _ = Describe("meshctl bootstrap gateway", func() {
	It("prints the bootstrap the gateway job renders, with the job's defaults", func() {
		r := run("bootstrap", "gateway", "--node-ip", "10.0.4.1", "--node-id", "cf-mesh-gateway-id-0",
			"--pilot", "10.0.1.10:15010,10.0.1.11:15010",
			"--pilot-tls-server-name", "pilot.service.cf.internal",
			"--tracing-collector", "10.0.8.1:9411")
		Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
		want := build(gatewaybootstrap.Options{
			NodeIP: "10.0.4.1", NodeID: "cf-mesh-gateway-id-0",
			Pilots: []string{"10.0.1.10:15010", "10.0.1.11:15010"},
			PilotTLS: &gatewaybootstrap.PilotTLS{
				SecretsDirectory: xdsresources.DefaultSecretsDirectory, ClientSecret: "pilot-client", CASecret: "pilot-ca",
				ServerName: "pilot.service.cf.internal",
			},
			AdminAddress:       "127.0.0.1:15000",
			HealthCheckAddress: "0.0.0.0:8002",
			Tracing:            &gatewaybootstrap.TracingCollector{Cluster: "tracing-collector", Address: "10.0.8.1:9411"},
		})
		Expect(proto.Equal(parseBootstrap(r.stdout), want)).To(BeTrue(), r.stdout)
	})

	It("takes every setting from flags, and the host name as the default node id", func() {
		r := run("bootstrap", "gateway", "--node-ip", "192.168.7.9", "--pilot", "127.0.0.1:15010", "--pilot", "127.0.0.2:15010",
			"--node-domain", "example.internal", "--admin", "127.0.0.1:19000", "--health", "",
			"--pilot-tls-server-name", "pilot.example", "--pilot-tls-secrets-dir", "/etc/gw/sds",
			"--pilot-tls-client-secret", "client", "--pilot-tls-ca-secret", "ca",
			"--tracing-collector", "10.0.8.1:4317", "--tracing-cluster", "otel", "--tracing-grpc")
		Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
		b := parseBootstrap(r.stdout)
		Expect(b.GetNode().GetId()).To(Equal("router~192.168.7.9~gateway-host-7~example.internal"))
		Expect(proto.Equal(b, build(gatewaybootstrap.Options{
			NodeIP: "192.168.7.9", NodeID: "gateway-host-7", NodeDomain: "example.internal",
			Pilots:       []string{"127.0.0.1:15010", "127.0.0.2:15010"},
			PilotTLS:     &gatewaybootstrap.PilotTLS{SecretsDirectory: "/etc/gw/sds", ClientSecret: "client", CASecret: "ca", ServerName: "pilot.example"},
			AdminAddress: "127.0.0.1:19000",
			Tracing:      &gatewaybootstrap.TracingCollector{Cluster: "otel", Address: "10.0.8.1:4317", GRPC: true},
		}))).To(BeTrue(), r.stdout)
	})

	It("speaks plaintext to the pilots without a TLS server name", func() {
		r := run("bootstrap", "gateway", "--node-ip", "127.0.0.1", "--node-id", "gw", "--pilot", "127.0.0.1:15010")
		Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
		b := parseBootstrap(r.stdout)
		Expect(b.GetStaticResources().GetClusters()[0].GetTransportSocket()).To(BeNil())
	})

	DescribeTable("refuses what would not make a valid bootstrap",
		func(code int, reason string, args ...string) {
			r := run(append([]string{"bootstrap"}, args...)...)
			expectFailure(r, code, reason)
			Expect(r.stdout).To(BeEmpty())
		},
		Entry("no kind", meshctl.ExitUsage, "bootstrap needs a kind: `meshctl bootstrap gateway`"),
		Entry("another kind", meshctl.ExitUsage, "bootstrap needs a kind", "sidecar"),
		Entry("no node ip", meshctl.ExitUsage, "--node-ip is required", "gateway", "--pilot", "10.0.1.10:15010"),
		Entry("a node ip that is a name", meshctl.ExitUsage, `--node-ip "gateway.local" is not an IP address`, "gateway", "--node-ip", "gateway.local", "--pilot", "10.0.1.10:15010"),
		Entry("no pilot", meshctl.ExitUsage, "at least one --pilot ip:port is required", "gateway", "--node-ip", "10.0.4.1"),
		Entry("a pilot without a port", meshctl.ExitFailure, `"10.0.1.10" is not ip:port`, "gateway", "--node-ip", "10.0.4.1", "--pilot", "10.0.1.10"),
		Entry("an admin address that is a name", meshctl.ExitFailure, `admin address: "localhost:15000" is not ip:port`, "gateway", "--node-ip", "10.0.4.1", "--pilot", "10.0.1.10:15010", "--admin", "localhost:15000"),
		Entry("a positional argument", meshctl.ExitUsage, `bootstrap gateway takes only flags, got ["extra"]`, "gateway", "extra", "--node-ip", "10.0.4.1", "--pilot", "10.0.1.10:15010"),
	)
})
