package gatewaybootstrap_test

import (
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/encoding/protojson"

	"code.cloudfoundry.org/cf-mesh/internal/gatewaybootstrap"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/golden"
)

var _ = Describe("Build", func() {
	options := gatewaybootstrap.Options{
		NodeIP: "10.0.1.5", NodeID: "gateway-0", Pilots: []string{"10.0.1.10:15010", "10.0.1.11:15010"},
		AdminAddress: "127.0.0.1:15000",
	}

	It("writes a bootstrap that names the gateway and every pilot (golden)", func() {
		b, err := gatewaybootstrap.Build(options)
		Expect(err).NotTo(HaveOccurred())
		js, err := gatewaybootstrap.JSON(b)
		Expect(err).NotTo(HaveOccurred())
		Expect(golden.Compare("testdata/out/gateway-bootstrap.json", append(js, '\n'))).To(Succeed())

		back := &bootstrapv3.Bootstrap{}
		Expect(protojson.Unmarshal(js, back)).To(Succeed())
		Expect(back.ValidateAll()).To(Succeed())
		Expect(back.GetNode().GetId()).To(Equal("router~10.0.1.5~gateway-0~cf.internal"))
	})

	It("adds mutual TLS to the pilots, a health check listener and a tracing collector (golden)", func() {
		o := options
		o.PilotTLS = &gatewaybootstrap.PilotTLS{
			SecretsDirectory: "/var/vcap/jobs/gateway/config/sds", ClientSecret: "pilot-client", CASecret: "pilot-ca",
			ServerName: "pilot.service.cf.internal",
		}
		o.HealthCheckAddress = "0.0.0.0:8002"
		o.Tracing = &gatewaybootstrap.TracingCollector{Cluster: "zipkin-collector", Address: "10.0.8.1:9411"}
		b, err := gatewaybootstrap.Build(o)
		Expect(err).NotTo(HaveOccurred())
		js, err := gatewaybootstrap.JSON(b)
		Expect(err).NotTo(HaveOccurred())
		Expect(golden.Compare("testdata/out/gateway-bootstrap-full.json", append(js, '\n'))).To(Succeed())
		Expect(b.GetStaticResources().GetListeners()).To(ConsistOf(HaveField("Name", "health")))
		Expect(b.GetStaticResources().GetClusters()).To(HaveLen(2))
	})

	DescribeTable("rejects incomplete or malformed options",
		func(mutate func(*gatewaybootstrap.Options), want string) {
			o := options
			mutate(&o)
			_, err := gatewaybootstrap.Build(o)
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("no pilots", func(o *gatewaybootstrap.Options) { o.Pilots = nil }, "at least one pilot"),
		Entry("pilot without port", func(o *gatewaybootstrap.Options) { o.Pilots = []string{"10.0.1.10"} }, "pilot address"),
		Entry("pilot by name", func(o *gatewaybootstrap.Options) { o.Pilots = []string{"pilot.service.cf.internal:15010"} }, "is not ip:port"),
		Entry("admin address", func(o *gatewaybootstrap.Options) { o.AdminAddress = "localhost" }, "admin address"),
		Entry("health check address", func(o *gatewaybootstrap.Options) { o.HealthCheckAddress = ":8002" }, "health check address"),
		Entry("collector address", func(o *gatewaybootstrap.Options) {
			o.Tracing = &gatewaybootstrap.TracingCollector{Cluster: "c", Address: "zipkin:9411"}
		}, "tracing collector"),
	)
})
