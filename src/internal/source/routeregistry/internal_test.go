package routeregistry_test

import (
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
)

var _ = Describe("DecodeInternalRegistration", func() {
	It("decodes route-emitter's service-discovery message", func() {
		reg, err := routeregistry.DecodeInternalRegistration([]byte(routeEmitterInternalMessage))
		Expect(err).NotTo(HaveOccurred())
		Expect(reg).To(Equal(routeregistry.InternalRegistration{
			Host: "10.255.3.4", URIs: []string{"backend.apps.internal", "1.backend.apps.internal"},
			App: "3f5a4c5e-7a3b-4b8e-9a57-1b2c3d4e5f60", PrivateInstanceIndex: "1",
			Tags: map[string]string{"component": "route-emitter"}, EndpointUpdatedAtNs: 1717171717000000000,
		}))
	})

	It("decodes the service-discovery-controller's own test message, which has nothing but host and uris", func() {
		reg, err := routeregistry.DecodeInternalRegistration([]byte(serviceDiscoveryControllerTestMessage))
		Expect(err).NotTo(HaveOccurred())
		Expect(reg).To(Equal(routeregistry.InternalRegistration{Host: "192.168.0.1", URIs: []string{"foo.com", "0.foo.com"}}))
	})

	DescribeTable("rejects invalid messages, naming the field",
		func(payload, field string) {
			_, err := routeregistry.DecodeInternalRegistration([]byte(payload))
			var invalid *routeregistry.ValidationError
			Expect(errors.As(err, &invalid)).To(BeTrue(), "error %v is not a ValidationError", err)
			Expect(invalid.Field).To(Equal(field))
		},
		Entry("missing host", `{"uris":["a.apps.internal"]}`, "host"),
		Entry("host with a port", `{"host":"10.255.0.1:8080","uris":["a.apps.internal"]}`, "host"),
		Entry("no uris", `{"host":"10.255.0.1","uris":[]}`, "uris"),
		Entry("a path", `{"host":"10.255.0.1","uris":["a.apps.internal","0.a.apps.internal/x"]}`, "uris[1]"),
		Entry("a wildcard", `{"host":"10.255.0.1","uris":["*.apps.internal"]}`, "uris[0]"),
		Entry("index of an instance without one", `{"host":"10.255.0.1","uris":[".a.apps.internal"]}`, "uris[0]"),
		Entry("uris not strings", `{"host":"10.255.0.1","uris":[1]}`, "uris"),
		Entry("index as a number", `{"host":"10.255.0.1","uris":["a.apps.internal"],"private_instance_index":0}`, "private_instance_index"),
		Entry("a JSON array", `[]`, "payload"),
	)

	It("rejects what is not JSON and what is too large, before parsing it", func() {
		_, err := routeregistry.DecodeInternalRegistration([]byte(`garbage "0.foo.com"] }`))
		var syntax *routeregistry.SyntaxError
		Expect(errors.As(err, &syntax)).To(BeTrue())

		huge := make([]byte, routeregistry.MaxPayloadBytes+1)
		_, err = routeregistry.DecodeInternalRegistration(huge)
		var tooLarge *routeregistry.PayloadTooLargeError
		Expect(errors.As(err, &tooLarge)).To(BeTrue(), "not parsed: zero bytes are not JSON either")
		Expect(err).To(MatchError(ContainSubstring("65537 bytes, more than the 65536 allowed")))
	})
})

var _ = Describe("NormalizeInternalURI", func() {
	DescribeTable("keys internal routes as the service-discovery-controller does",
		func(uri, want string) {
			Expect(routeregistry.NormalizeInternalURI(uri)).To(Equal(want))
		},
		Entry("plain", "backend.apps.internal", "backend.apps.internal"),
		Entry("upper case", "BackEnd.Apps.Internal", "backend.apps.internal"),
		Entry("fully qualified", "backend.apps.internal.", "backend.apps.internal"),
		Entry("instance name", "3.backend.apps.internal", "3.backend.apps.internal"),
	)

	DescribeTable("rejects what Cloud Controller never allows on an internal domain",
		func(uri, reason string) {
			_, err := routeregistry.NormalizeInternalURI(uri)
			Expect(err).To(MatchError(ContainSubstring(reason)))
		},
		Entry("empty", "", "host is empty"),
		Entry("only a dot", ".", "host is empty"),
		Entry("a path", "backend.apps.internal/api", "no path"),
		Entry("a query", "backend.apps.internal?x", "no path or query"),
		Entry("a port", "backend.apps.internal:8080", "port"),
		Entry("a wildcard", "*.apps.internal", "wildcard"),
		Entry("an empty label", "backend..apps.internal", "empty label"),
		Entry("whitespace", "back end.apps.internal", "whitespace"),
	)
})

var _ = Describe("Table with internal routes", func() {
	var table *routeregistry.Table

	backend := func(host, index string) routeregistry.InternalRegistration {
		return routeregistry.InternalRegistration{
			Host: host, URIs: []string{"backend.apps.internal", index + ".backend.apps.internal"},
			App: "app-guid", PrivateInstanceIndex: index, Tags: map[string]string{"component": "route-emitter"},
		}
	}

	BeforeEach(func() {
		table = routeregistry.NewTable()
	})

	It("holds one internal endpoint per URI, with the container IP and no port", func() {
		Expect(table.RegisterInternal(backend("10.255.3.4", "0"), t0)).To(BeTrue())
		internal := source.Endpoint{Address: "10.255.3.4", AppGUID: "app-guid", InstanceIndex: "0",
			Tags: map[string]string{"component": "route-emitter"}, Internal: true}
		first, second := internal, internal
		first.URI, second.URI = "0.backend.apps.internal", "backend.apps.internal"
		Expect(table.Endpoints()).To(Equal(source.Endpoints{first, second}))
	})

	It("reports no change for a repeat and a change for each field it carries", func() {
		reg := backend("10.255.3.4", "0")
		Expect(table.RegisterInternal(reg, t0)).To(BeTrue())
		Expect(table.RegisterInternal(backend("10.255.3.4", "0"), t0.Add(time.Minute))).To(BeFalse())

		for _, change := range []func(*routeregistry.InternalRegistration){
			func(r *routeregistry.InternalRegistration) { r.App = "other-app" },
			func(r *routeregistry.InternalRegistration) { r.PrivateInstanceIndex = "9" },
			func(r *routeregistry.InternalRegistration) { r.Tags = map[string]string{"component": "other"} },
			func(r *routeregistry.InternalRegistration) { r.Tags = nil },
			func(r *routeregistry.InternalRegistration) { r.Tags = map[string]string{"process_type": "worker"} },
		} {
			changed := backend("10.255.3.4", "0")
			change(&changed)
			Expect(table.RegisterInternal(changed, t0)).To(BeTrue())
			Expect(table.RegisterInternal(reg, t0)).To(BeTrue())
		}
		Expect(table.Len()).To(Equal(2))
	})

	It("keeps internal and router.register endpoints of the same URI and IP apart", func() {
		table.RegisterInternal(backend("10.255.3.4", "0"), t0)
		external := appInstance("10.255.3.4", 8080, "i1", "backend.apps.internal")
		Expect(table.Register(external, t0)).To(BeTrue())
		Expect(table.Len()).To(Equal(3))

		Expect(table.Unregister(external)).To(BeTrue())
		Expect(table.Len()).To(Equal(2), "router.unregister leaves the internal endpoints alone")
		table.Register(external, t0)
		Expect(table.UnregisterInternal(backend("10.255.3.4", "0"))).To(BeTrue())
		Expect(keys(table.Endpoints())).To(Equal([]string{"backend.apps.internal 10.255.3.4:8080/0"}))
	})

	It("removes by container IP alone, as the service-discovery-controller does", func() {
		table.RegisterInternal(backend("10.255.3.4", "0"), t0)
		table.RegisterInternal(backend("10.255.3.5", "1"), t0)
		gone := routeregistry.InternalRegistration{Host: "10.255.3.4", URIs: []string{"BACKEND.apps.internal."}}
		Expect(table.UnregisterInternal(gone)).To(BeTrue())
		Expect(table.UnregisterInternal(gone)).To(BeFalse())
		Expect(keys(table.Endpoints())).To(ConsistOf(
			"0.backend.apps.internal 10.255.3.4:0/0", "1.backend.apps.internal 10.255.3.5:0/0", "backend.apps.internal 10.255.3.5:0/0"))
	})

	Describe("Prune", func() {
		It("uses the service-discovery threshold for internal endpoints, and the router one when it is unset", func() {
			table.RegisterInternal(backend("10.255.3.4", "0"), t0)
			plain := appInstance("10.0.0.1", 8080, "i1", "a.example.com")
			table.Register(plain, t0)
			thresholds := routeregistry.PruneThresholds{Router: 120 * time.Second, ServiceDiscovery: 180 * time.Second}

			Expect(keys(table.Prune(t0.Add(121*time.Second), thresholds))).To(Equal([]string{"a.example.com 10.0.0.1:8080/0"}))
			Expect(table.Prune(t0.Add(180*time.Second), thresholds)).To(BeEmpty())
			Expect(table.Prune(t0.Add(181*time.Second), thresholds)).To(HaveLen(2))

			table.RegisterInternal(backend("10.255.3.4", "0"), t0)
			Expect(table.Prune(t0.Add(121*time.Second), routeregistry.PruneThresholds{Router: 120 * time.Second})).To(HaveLen(2))
		})

		It("lets Touch refresh internal endpoints too", func() {
			table.RegisterInternal(backend("10.255.3.4", "0"), t0)
			table.Touch(t0.Add(time.Hour))
			Expect(table.Prune(t0.Add(time.Hour+time.Minute), routeregistry.PruneThresholds{Router: 2 * time.Minute})).To(BeEmpty())
		})
	})
})
