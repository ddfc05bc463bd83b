package routeregistry_test

import (
	"fmt"
	"reflect"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func appInstance(host string, port uint16, instance string, uris ...string) routeregistry.Registration {
	return routeregistry.Registration{
		Host: host, Port: port, URIs: uris, App: "app-guid",
		PrivateInstanceID: instance, PrivateInstanceIndex: "0", ServerCertDomainSAN: instance,
		Tags: map[string]string{"process_id": "proc-guid", "process_type": "web", "component": "route-emitter"},
	}
}

func keys(endpoints source.Endpoints) []string {
	out := make([]string, 0, len(endpoints))
	for _, e := range endpoints {
		out = append(out, fmt.Sprintf("%s %s:%d/%d", e.URI, e.Address, e.Port, e.TLSPort))
	}
	return out
}

var _ = Describe("Table", func() {
	var table *routeregistry.Table

	BeforeEach(func() {
		table = routeregistry.NewTable()
	})

	Describe("Register", func() {
		It("maps a registration onto one endpoint per URI", func() {
			reg, err := routeregistry.DecodeRegistration([]byte(routeEmitterMessage))
			Expect(err).NotTo(HaveOccurred())
			Expect(table.Register(reg, t0)).To(BeTrue())

			Expect(table.Endpoints()).To(Equal(source.Endpoints{{
				URI: "dora.apps.example.com", Address: "10.0.16.5", Port: 61012, TLSPort: 61014,
				ServerCertDomainSAN: "a9b8c7d6-e5f4-4321-8765-0fedcba98765",
				AppGUID:             "3f5a4c5e-7a3b-4b8e-9a57-1b2c3d4e5f60",
				ProcessGUID:         "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", ProcessType: "web",
				InstanceID: "a9b8c7d6-e5f4-4321-8765-0fedcba98765", InstanceIndex: "2",
				Protocol: "http1", AvailabilityZone: "z1", LoadBalancing: "least-connection",
				Tags: reg.Tags,
			}}))
		})

		It("normalises URIs, defaults the protocol and falls back to tags.app_id", func() {
			reg := appInstance("10.0.0.1", 8080, "i1", "A.example.com/", "b.example.com/p?q=1")
			reg.App = ""
			reg.Tags["app_id"] = "tagged-app"
			table.Register(reg, t0)

			endpoints := table.Endpoints()
			Expect(keys(endpoints)).To(Equal([]string{"a.example.com 10.0.0.1:8080/0", "b.example.com/p 10.0.0.1:8080/0"}))
			Expect(endpoints[0].AppGUID).To(Equal("tagged-app"))
			Expect(endpoints[0].Protocol).To(Equal("http1"))
			Expect(table.Len()).To(Equal(2))
		})

		It("reports no change when a registration is only repeated", func() {
			reg := appInstance("10.0.0.1", 8080, "i1", "a.example.com", "b.example.com")
			Expect(table.Register(reg, t0)).To(BeTrue())
			Expect(table.Register(reg, t0.Add(20*time.Second))).To(BeFalse())

			again := appInstance("10.0.0.1", 8080, "i1", "a.example.com", "b.example.com")
			again.StaleThresholdInSeconds = 30
			again.EndpointUpdatedAtNs = 42
			Expect(table.Register(again, t0.Add(40*time.Second))).To(BeFalse(), "fields consumers do not see are not a change")
			Expect(table.Len()).To(Equal(2))
		})

		It("reports a change when a new URI joins a known backend", func() {
			table.Register(appInstance("10.0.0.1", 8080, "i1", "a.example.com"), t0)
			Expect(table.Register(appInstance("10.0.0.1", 8080, "i1", "a.example.com", "c.example.com"), t0)).To(BeTrue())
			Expect(table.Len()).To(Equal(2))
		})

		It("reports a change for every field consumers can see", func() {
			base := source.Endpoint{
				URI: "a.example.com", Address: "10.0.0.1", Port: 8080, TLSPort: 61001,
				ServerCertDomainSAN: "san", AppGUID: "app", ProcessGUID: "proc", ProcessType: "web",
				InstanceID: "inst", InstanceIndex: "0", Protocol: "http1", AvailabilityZone: "z1",
				IsolationSegment: "iso", LoadBalancing: "round-robin", Tags: map[string]string{"k": "v"},
			}
			endpointType := reflect.TypeOf(base)
			for i := range endpointType.NumField() {
				field := endpointType.Field(i)
				if field.Name == "URI" || field.Name == "Address" || field.Name == "TLSPort" {
					continue // part of the key (TLSPort is the upstream port here): a different endpoint, tested below
				}
				changed := base
				changed.Tags = map[string]string{"k": "v"}
				value := reflect.ValueOf(&changed).Elem().Field(i)
				// The kind of registration is part of the key too: the
				// other kind is another endpoint, next to the first.
				want := 1
				switch value.Kind() {
				case reflect.String:
					value.SetString(value.String() + "-changed")
				case reflect.Uint32:
					value.SetUint(value.Uint() + 1)
				case reflect.Map:
					changed.Tags = map[string]string{"k": "other"}
				case reflect.Bool:
					Expect(field.Name).To(Equal("Internal"), "extend this test for field "+field.Name)
					value.SetBool(true)
					want = 2
				default:
					Fail("extend this test for field " + field.Name)
				}

				table = routeregistry.NewTable()
				Expect(register(table, base)).To(BeTrue())
				Expect(register(table, changed)).To(BeTrue(), "field %s", field.Name)
				Expect(table.Endpoints()).To(HaveLen(want), "field %s", field.Name)
				Expect(table.Endpoints()).To(ContainElement(endpointOf(changed)), "field %s", field.Name)
			}
		})

		It("keys backends by address and upstream port, preferring the TLS port", func() {
			table.Register(appInstance("10.0.0.1", 8080, "i1", "a.example.com"), t0)
			table.Register(appInstance("10.0.0.1", 8081, "i2", "a.example.com"), t0)
			table.Register(appInstance("10.0.0.2", 8080, "i3", "a.example.com"), t0)
			Expect(table.Len()).To(Equal(3))

			withTLS := appInstance("10.0.0.1", 8080, "i1", "a.example.com")
			withTLS.TLSPort = 61001
			Expect(table.Register(withTLS, t0)).To(BeTrue())
			Expect(table.Len()).To(Equal(4), "the TLS port makes it a different backend, as in gorouter")
		})

		It("replaces the endpoint when another instance re-uses an address", func() {
			table.Register(appInstance("10.0.0.1", 61012, "old", "a.example.com"), t0)
			Expect(table.Register(appInstance("10.0.0.1", 61012, "new", "a.example.com"), t0)).To(BeTrue())

			endpoints := table.Endpoints()
			Expect(endpoints).To(HaveLen(1))
			Expect(endpoints[0].InstanceID).To(Equal("new"))
		})

		It("does not share tag maps with the registration or with callers", func() {
			reg := appInstance("10.0.0.1", 8080, "i1", "a.example.com")
			table.Register(reg, t0)
			reg.Tags["process_type"] = "worker"
			first := table.Endpoints()
			first[0].Tags["process_type"] = "mutated"

			Expect(table.Endpoints()[0].Tags).To(HaveKeyWithValue("process_type", "web"))
		})

		It("sorts endpoints by URI, address and port", func() {
			table.Register(appInstance("10.0.0.2", 80, "i1", "b.example.com", "a.example.com"), t0)
			table.Register(appInstance("10.0.0.1", 90, "i2", "b.example.com"), t0)
			table.Register(appInstance("10.0.0.1", 80, "i3", "b.example.com"), t0)
			Expect(keys(table.Endpoints())).To(Equal([]string{
				"a.example.com 10.0.0.2:80/0",
				"b.example.com 10.0.0.1:80/0",
				"b.example.com 10.0.0.1:90/0",
				"b.example.com 10.0.0.2:80/0",
			}))
		})
	})

	Describe("Unregister", func() {
		It("removes the backend from every URI and reports the change once", func() {
			reg := appInstance("10.0.0.1", 8080, "i1", "a.example.com", "b.example.com")
			table.Register(reg, t0)
			table.Register(appInstance("10.0.0.2", 8080, "i2", "a.example.com"), t0)

			Expect(table.Unregister(reg)).To(BeTrue())
			Expect(keys(table.Endpoints())).To(Equal([]string{"a.example.com 10.0.0.2:8080/0"}))
			Expect(table.Unregister(reg)).To(BeFalse(), "a repeated unregister changes nothing")
		})

		It("matches URIs after normalisation", func() {
			table.Register(appInstance("10.0.0.1", 8080, "i1", "a.example.com/p"), t0)
			Expect(table.Unregister(appInstance("10.0.0.1", 8080, "i1", "A.EXAMPLE.com/p/"))).To(BeTrue())
			Expect(table.Len()).To(BeZero())
		})

		It("ignores an unregister for a previous occupant of the address", func() {
			table.Register(appInstance("10.0.0.1", 61012, "new", "a.example.com"), t0)
			Expect(table.Unregister(appInstance("10.0.0.1", 61012, "old", "a.example.com"))).To(BeFalse())
			Expect(table.Len()).To(Equal(1))
		})

		It("removes by address alone when the unregister names no instance", func() {
			table.Register(appInstance("10.0.0.1", 8080, "i1", "a.example.com"), t0)
			Expect(table.Unregister(appInstance("10.0.0.1", 8080, "", "a.example.com"))).To(BeTrue())
			Expect(table.Len()).To(BeZero())
		})

		It("does nothing for unknown URIs or backends", func() {
			table.Register(appInstance("10.0.0.1", 8080, "i1", "a.example.com"), t0)
			Expect(table.Unregister(appInstance("10.0.0.1", 8080, "i1", "z.example.com"))).To(BeFalse())
			Expect(table.Unregister(appInstance("10.0.0.1", 9090, "i1", "a.example.com"))).To(BeFalse())
			Expect(table.Len()).To(Equal(1))
		})
	})

	Describe("Prune", func() {
		const threshold = 120 * time.Second
		routerThreshold := routeregistry.PruneThresholds{Router: threshold}

		It("removes endpoints not refreshed within the default threshold", func() {
			stale := appInstance("10.0.0.1", 8080, "i1", "a.example.com")
			fresh := appInstance("10.0.0.2", 8080, "i2", "a.example.com")
			table.Register(stale, t0)
			table.Register(fresh, t0)
			table.Register(fresh, t0.Add(100*time.Second))

			Expect(table.Prune(t0.Add(threshold), routerThreshold)).To(BeEmpty(), "exactly at the threshold is not stale yet")
			removed := table.Prune(t0.Add(threshold+time.Second), routerThreshold)
			Expect(keys(removed)).To(Equal([]string{"a.example.com 10.0.0.1:8080/0"}))
			Expect(keys(table.Endpoints())).To(Equal([]string{"a.example.com 10.0.0.2:8080/0"}))
		})

		DescribeTable("honours a registration's own threshold only when it is shorter",
			func(own int, age time.Duration, pruned bool) {
				reg := appInstance("10.0.0.1", 8080, "i1", "a.example.com")
				reg.StaleThresholdInSeconds = own
				table.Register(reg, t0)
				Expect(table.Prune(t0.Add(age), routerThreshold)).To(HaveLen(map[bool]int{true: 1, false: 0}[pruned]))
			},
			Entry("shorter, expired", 30, 31*time.Second, true),
			Entry("shorter, fresh", 30, 29*time.Second, false),
			Entry("longer than the default is capped", 600, 121*time.Second, true),
			Entry("zero means default", 0, 119*time.Second, false),
		)

		It("never prunes TLS endpoints by staleness", func() {
			reg := appInstance("10.0.0.1", 8080, "i1", "a.example.com")
			reg.TLSPort = 61001
			table.Register(reg, t0)
			Expect(table.Prune(t0.Add(24*time.Hour), routerThreshold)).To(BeEmpty())
			Expect(table.Len()).To(Equal(1))
		})

		It("lets Touch give every endpoint a fresh threshold", func() {
			table.Register(appInstance("10.0.0.1", 8080, "i1", "a.example.com"), t0)
			reconnected := t0.Add(10 * time.Minute)
			table.Touch(reconnected)
			Expect(table.Prune(reconnected.Add(threshold), routerThreshold)).To(BeEmpty())
			Expect(table.Prune(reconnected.Add(threshold+time.Second), routerThreshold)).To(HaveLen(1))
		})
	})

	It("works as a zero value", func() {
		var zero routeregistry.Table
		Expect(zero.Endpoints()).To(BeEmpty())
		Expect(zero.Unregister(appInstance("10.0.0.1", 8080, "i1", "a.example.com"))).To(BeFalse())
		Expect(zero.Prune(t0, routeregistry.PruneThresholds{Router: time.Minute})).To(BeEmpty())
		Expect(zero.Register(appInstance("10.0.0.1", 8080, "i1", "a.example.com"), t0)).To(BeTrue())
		Expect(zero.Len()).To(Equal(1))
	})
})

// register registers the registration that yields e, on the subject its
// kind comes on.
func register(table *routeregistry.Table, e source.Endpoint) bool {
	if e.Internal {
		return table.RegisterInternal(internalRegistrationOf(e), t0)
	}
	return table.Register(registrationOf(e), t0)
}

// endpointOf is e as the table reports it: tags include the ones the
// process fields come from, and internal endpoints carry only what
// service discovery sends.
func endpointOf(e source.Endpoint) source.Endpoint {
	if e.Internal {
		e = source.Endpoint{URI: e.URI, Address: e.Address, AppGUID: e.AppGUID, ProcessGUID: e.ProcessGUID,
			ProcessType: e.ProcessType, InstanceIndex: e.InstanceIndex, Tags: e.Tags, Internal: true}
	}
	e.Tags = internalRegistrationOf(e).Tags
	return e
}

// internalRegistrationOf builds the service-discovery registration that
// yields the internal endpoint e.
func internalRegistrationOf(e source.Endpoint) routeregistry.InternalRegistration {
	tags := map[string]string{"process_id": e.ProcessGUID, "process_type": e.ProcessType}
	for k, v := range e.Tags {
		tags[k] = v
	}
	return routeregistry.InternalRegistration{
		Host: e.Address, URIs: []string{e.URI}, App: e.AppGUID, PrivateInstanceIndex: e.InstanceIndex, Tags: tags,
	}
}

// registrationOf builds the registration that yields e.
func registrationOf(e source.Endpoint) routeregistry.Registration {
	tags := map[string]string{"process_id": e.ProcessGUID, "process_type": e.ProcessType}
	for k, v := range e.Tags {
		tags[k] = v
	}
	return routeregistry.Registration{
		Host: e.Address, Port: uint16(e.Port), TLSPort: uint16(e.TLSPort), URIs: []string{e.URI},
		App: e.AppGUID, PrivateInstanceID: e.InstanceID, PrivateInstanceIndex: e.InstanceIndex,
		ServerCertDomainSAN: e.ServerCertDomainSAN, Tags: tags, IsolationSegment: e.IsolationSegment,
		AvailabilityZone: e.AvailabilityZone, Protocol: e.Protocol,
		Options: routeregistry.RegistrationOptions{LoadBalancing: e.LoadBalancing},
	}
}
