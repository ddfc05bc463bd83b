package routeregistry_test

import (
	"encoding/json"
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
)

var _ = Describe("DecodeRegistration", func() {
	It("decodes every field of a route-emitter message", func() {
		reg, err := routeregistry.DecodeRegistration([]byte(routeEmitterMessage))
		Expect(err).NotTo(HaveOccurred())

		Expect(reg.Host).To(Equal("10.0.16.5"))
		Expect(reg.Port).To(BeEquivalentTo(61012))
		Expect(reg.TLSPort).To(BeEquivalentTo(61014))
		Expect(reg.URIs).To(Equal([]string{"dora.apps.example.com"}))
		Expect(reg.Protocol).To(Equal("http1"))
		Expect(reg.App).To(Equal("3f5a4c5e-7a3b-4b8e-9a57-1b2c3d4e5f60"))
		Expect(reg.PrivateInstanceID).To(Equal("a9b8c7d6-e5f4-4321-8765-0fedcba98765"))
		Expect(reg.PrivateInstanceIndex).To(Equal("2"))
		Expect(reg.ServerCertDomainSAN).To(Equal("a9b8c7d6-e5f4-4321-8765-0fedcba98765"))
		Expect(reg.AvailabilityZone).To(Equal("z1"))
		Expect(reg.EndpointUpdatedAtNs).To(BeEquivalentTo(1717171717000000000))
		Expect(reg.Options.LoadBalancing).To(Equal("least-connection"))
		Expect(string(reg.Options.Raw)).To(Equal(`{"loadbalancing":"least-connection"}`))
		Expect(reg.Tags).To(HaveKeyWithValue("process_type", "web"))
		Expect(reg.Tags).To(HaveKeyWithValue("component", "route-emitter"))
	})

	It("decodes route_registrar messages with pointer ports, TLS only and allowed sources", func() {
		reg, err := routeregistry.DecodeRegistration([]byte(routeRegistrarMessage))
		Expect(err).NotTo(HaveOccurred())
		Expect(reg.App).To(BeEmpty())
		Expect(reg.Port).To(BeEquivalentTo(9022))
		Expect(reg.TLSPort).To(BeZero())
		Expect(reg.URIs).To(HaveLen(2))

		reg, err = routeregistry.DecodeRegistration([]byte(routeRegistrarTLSMessage))
		Expect(err).NotTo(HaveOccurred())
		Expect(reg.Port).To(BeZero())
		Expect(reg.TLSPort).To(BeEquivalentTo(8443))
		Expect(reg.StaleThresholdInSeconds).To(Equal(30))
		Expect(reg.AllowedSources).To(Equal(&routeregistry.AllowedSources{Apps: []string{"app-guid"}}))
	})

	It("decodes gorouter's own test message and ignores unknown fields", func() {
		reg, err := routeregistry.DecodeRegistration([]byte(`{"http_version":2,"future":{"x":1},` + gorouterTestMessage[1:]))
		Expect(err).NotTo(HaveOccurred())
		Expect(reg.App).To(Equal("app1"))
		Expect(reg.Tags).To(BeEmpty())
	})

	It("writes the JSON it reads", func() {
		for _, msg := range []string{routeEmitterMessage, routeRegistrarMessage, routeRegistrarTLSMessage, gorouterTestMessage} {
			reg, err := routeregistry.DecodeRegistration([]byte(msg))
			Expect(err).NotTo(HaveOccurred())
			encoded, err := json.Marshal(reg)
			Expect(err).NotTo(HaveOccurred())
			again, err := routeregistry.DecodeRegistration(encoded)
			Expect(err).NotTo(HaveOccurred())
			Expect(again).To(Equal(reg))
		}
	})

	It("uses gorouter's JSON names", func() {
		reg := routeregistry.Registration{
			Host: "h", Port: 1, TLSPort: 2, URIs: []string{"u"}, App: "a", PrivateInstanceID: "i",
			PrivateInstanceIndex: "0", ServerCertDomainSAN: "s", RouteServiceURL: "https://rs",
			Tags: map[string]string{"k": "v"}, StaleThresholdInSeconds: 3, IsolationSegment: "iso",
			EndpointUpdatedAtNs: 4, AvailabilityZone: "z", Protocol: "http2",
			Options: routeregistry.RegistrationOptions{LoadBalancing: "hash", HashHeader: "X-User"},
		}
		encoded, err := json.Marshal(reg)
		Expect(err).NotTo(HaveOccurred())
		Expect(encoded).To(MatchJSON(`{"host":"h","port":1,"tls_port":2,"uris":["u"],"app":"a",
			"private_instance_id":"i","private_instance_index":"0","server_cert_domain_san":"s",
			"route_service_url":"https://rs","tags":{"k":"v"},"stale_threshold_in_seconds":3,
			"isolation_segment":"iso","endpoint_updated_at_ns":4,"availability_zone":"z","protocol":"http2",
			"options":{"loadbalancing":"hash","hash_header":"X-User"}}`))
	})

	DescribeTable("rejects invalid messages, naming the field",
		func(payload, field string) {
			_, err := routeregistry.DecodeRegistration([]byte(payload))
			Expect(err).To(HaveOccurred())
			var invalid *routeregistry.ValidationError
			Expect(errors.As(err, &invalid)).To(BeTrue(), "error %q is not a ValidationError", err)
			Expect(invalid.Field).To(Equal(field))
			Expect(err.Error()).To(ContainSubstring(field))
		},
		Entry("missing host", `{"port":8080,"uris":["a.com"]}`, "host"),
		Entry("host with a scheme", `{"host":"http://10.0.0.1","port":8080,"uris":["a.com"]}`, "host"),
		Entry("host with a port", `{"host":"10.0.0.1:8080","port":8080,"uris":["a.com"]}`, "host"),
		Entry("host that is no IPv6 address", `{"host":"fd00::5::6","port":8080,"uris":["a.com"]}`, "host"),
		Entry("no uris", `{"host":"10.0.0.1","port":8080,"uris":[]}`, "uris"),
		Entry("empty uri", `{"host":"10.0.0.1","port":8080,"uris":["a.com",""]}`, "uris[1]"),
		Entry("uri with a port", `{"host":"10.0.0.1","port":8080,"uris":["a.com:80"]}`, "uris[0]"),
		Entry("no port at all", `{"host":"10.0.0.1","uris":["a.com"]}`, "port"),
		Entry("null ports", `{"host":"10.0.0.1","port":null,"tls_port":null,"uris":["a.com"]}`, "port"),
		Entry("port out of range", `{"host":"10.0.0.1","port":70000,"uris":["a.com"]}`, "port"),
		Entry("negative tls_port", `{"host":"10.0.0.1","tls_port":-1,"uris":["a.com"]}`, "tls_port"),
		Entry("port as a string", `{"host":"10.0.0.1","port":"8080","uris":["a.com"]}`, "port"),
		Entry("fractional port", `{"host":"10.0.0.1","port":8080.5,"uris":["a.com"]}`, "port"),
		Entry("plain http route service", `{"host":"10.0.0.1","port":8080,"uris":["a.com"],"route_service_url":"http://rs"}`, "route_service_url"),
		Entry("unknown protocol", `{"host":"10.0.0.1","port":8080,"uris":["a.com"],"protocol":"tcp"}`, "protocol"),
		Entry("negative stale threshold", `{"host":"10.0.0.1","port":8080,"uris":["a.com"],"stale_threshold_in_seconds":-5}`, "stale_threshold_in_seconds"),
		Entry("options not an object", `{"host":"10.0.0.1","port":8080,"uris":["a.com"],"options":"x"}`, "options"),
		Entry("loadbalancing not a string", `{"host":"10.0.0.1","port":8080,"uris":["a.com"],"options":{"loadbalancing":1}}`, "options.loadbalancing"),
	)

	DescribeTable("rejects what is not a registry message",
		func(payload string) {
			_, err := routeregistry.DecodeRegistration([]byte(payload))
			Expect(err).To(MatchError(ContainSubstring("registration")))
		},
		Entry("empty payload (a greet)", ``),
		Entry("not JSON", `router.register`),
		Entry("a JSON array", `[1,2]`),
		Entry("truncated JSON", routeEmitterMessage[:40]),
		Entry("tags with a number", `{"host":"10.0.0.1","port":8080,"uris":["a.com"],"tags":{"n":1}}`),
		Entry("private_instance_index as a number", `{"host":"10.0.0.1","port":8080,"uris":["a.com"],"private_instance_index":1}`),
		Entry("trailing garbage", gorouterTestMessage+`}`),
	)

	It("accepts an http2 backend, an https route service and a zero plain port next to a TLS port", func() {
		reg, err := routeregistry.DecodeRegistration([]byte(`{"host":"fd00::5","port":0,"tls_port":61001,"uris":["*.apps.example.com/api"],"protocol":"http2","route_service_url":"https://rs.example.com"}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(reg.Protocol).To(Equal("http2"))
		Expect(reg.Host).To(Equal("fd00::5"))
	})
})
