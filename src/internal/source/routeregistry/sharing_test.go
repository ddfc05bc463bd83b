package routeregistry_test

import (
	"fmt"
	"reflect"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
)

// routeEmitterInstance is a route-emitter registration for instance index
// of one app process, with Cloud Controller's tags (two of them per
// instance).
func routeEmitterInstance(index int, uri string) routeregistry.Registration {
	guid := fmt.Sprintf("instance-%d", index)
	return routeregistry.Registration{
		Host: "10.0.16.5", Port: uint16(61000 + 2*index), TLSPort: uint16(61001 + 2*index), URIs: []string{uri},
		App: "app-guid", PrivateInstanceID: guid, PrivateInstanceIndex: fmt.Sprint(index), ServerCertDomainSAN: guid,
		Protocol: "http1", AvailabilityZone: "z1",
		Tags: map[string]string{
			"component": "route-emitter", "app_id": "app-guid", "process_id": "process-guid", "process_type": "web",
			"process_instance_id": guid, "instance_id": fmt.Sprint(index), "space_name": "space",
		},
	}
}

var _ = Describe("Table sharing", func() {
	var table *routeregistry.Table

	BeforeEach(func() {
		table = routeregistry.NewTable()
	})

	It("gives every instance of a shared profile its own instance tags", func() {
		for i := range 3 {
			table.Register(routeEmitterInstance(i, "a.example.com"), t0)
		}
		Expect(table.Profiles()).To(Equal(1), "the instances of one process share a profile")
		for i, e := range table.Endpoints() {
			Expect(e.Tags).To(Equal(routeEmitterInstance(i, "a.example.com").Tags))
			Expect(e.InstanceID).To(Equal(fmt.Sprintf("instance-%d", i)))
		}
	})

	It("tells a static tag from an instance's own when their values meet", func() {
		// Instance 0 has a static tag "0"; instance 1's is "0" as well, but
		// its index is "1". Both must come back exactly.
		zero, one := routeEmitterInstance(0, "a.example.com"), routeEmitterInstance(1, "a.example.com")
		zero.Tags["shard"], one.Tags["shard"] = "0", "0"
		table.Register(zero, t0)
		table.Register(one, t0)
		endpoints := table.Endpoints()
		Expect(endpoints[0].Tags).To(Equal(zero.Tags))
		Expect(endpoints[1].Tags).To(Equal(one.Tags))
		Expect(table.Register(zero, t0)).To(BeFalse())
		Expect(table.Register(one, t0)).To(BeFalse())
	})

	It("gives every Endpoints call maps of its own, shared only by one instance's URIs", func() {
		reg := routeEmitterInstance(0, "a.example.com")
		reg.URIs = append(reg.URIs, "b.example.com")
		table.Register(reg, t0)
		table.Register(routeEmitterInstance(1, "a.example.com"), t0)

		first := table.Endpoints()
		Expect(first).To(HaveLen(3))
		first[0].Tags["process_type"] = "mutated"
		delete(first[0].Tags, "space_name")
		first[1].InstanceID = "mutated"

		second := table.Endpoints()
		Expect(second[0].Tags).To(Equal(routeEmitterInstance(0, "").Tags))
		Expect(second[1].Tags).To(Equal(routeEmitterInstance(1, "").Tags))
		Expect(second[1].InstanceID).To(Equal("instance-1"))
		Expect(table.Register(reg, t0)).To(BeFalse(), "what callers did to their copy is not table state")

		Expect(first[2].Tags).To(HaveKeyWithValue("process_type", "mutated"), "a.example.com and b.example.com of instance 0 share a map")
	})

	It("keeps nothing of the payload buffer it decoded from", func() {
		payload := []byte(routeEmitterMessage)
		reg, err := routeregistry.DecodeRegistration(payload)
		Expect(err).NotTo(HaveOccurred())
		table.Register(reg, t0)
		want := table.Endpoints()
		for i := range payload {
			payload[i] = 'x'
		}
		Expect(table.Endpoints()).To(Equal(want))
		Expect(reg.Host).To(Equal("10.0.16.5"))
	})

	It("lets a Decoder lend the previous result's map and list to the next, never to the table", func() {
		var decoder routeregistry.Decoder
		first, err := decoder.DecodeRegistration([]byte(routeEmitterMessage))
		Expect(err).NotTo(HaveOccurred())
		table.Register(first, t0)
		want := table.Endpoints()
		firstTags := reflect.ValueOf(first.Tags).UnsafePointer()

		second, err := decoder.DecodeRegistration([]byte(gorouterTestMessage))
		Expect(err).NotTo(HaveOccurred())
		Expect(reflect.ValueOf(second.Tags).UnsafePointer()).To(Equal(firstTags), "the map was reused")
		plain, err := routeregistry.DecodeRegistration([]byte(gorouterTestMessage))
		Expect(err).NotTo(HaveOccurred())
		Expect(second).To(Equal(plain))
		Expect(table.Endpoints()).To(Equal(want))

		fresh := testing.AllocsPerRun(20, func() { _, _ = routeregistry.DecodeRegistration([]byte(routeEmitterMessage)) })
		reused := testing.AllocsPerRun(20, func() { _, _ = decoder.DecodeRegistration([]byte(routeEmitterMessage)) })
		Expect(reused).To(BeNumerically("<", fresh))
	})

	It("does not allocate for an unchanged re-registration", func() {
		// A path with a trailing slash and a query, host in lower case as
		// Cloud Controller writes it (an upper-case host costs its
		// lower-cased copy).
		reg := routeEmitterInstance(0, "a.example.com/Path/?q=1")
		reg.Options = routeregistry.RegistrationOptions{LoadBalancing: "round-robin"}
		internal := routeregistry.InternalRegistration{Host: "10.255.3.4", URIs: []string{"b.apps.internal", "0.b.apps.internal"},
			App: "app-guid", PrivateInstanceIndex: "0", Tags: map[string]string{"component": "route-emitter"}}
		table.Register(reg, t0)
		table.RegisterInternal(internal, t0)
		Expect(testing.AllocsPerRun(100, func() { table.Register(reg, t0) })).To(BeZero())
		Expect(testing.AllocsPerRun(100, func() { table.RegisterInternal(internal, t0) })).To(BeZero())
	})

	It("forgets profiles and strings no endpoint uses any more", func() {
		for round := range 5 {
			for i := range 2000 {
				reg := routeEmitterInstance(i, fmt.Sprintf("app-%d-%d.example.com", round, i))
				reg.App, reg.Tags["app_id"] = fmt.Sprintf("app-%d-%d", round, i), fmt.Sprintf("app-%d-%d", round, i)
				Expect(table.Register(reg, t0)).To(BeTrue())
			}
			Expect(table.Profiles()).To(Equal(2000))
			for _, e := range table.Endpoints() {
				reg := routeregistry.Registration{Host: e.Address, TLSPort: uint16(e.TLSPort), URIs: []string{e.URI}}
				Expect(table.Unregister(reg)).To(BeTrue())
			}
			Expect(table.Profiles()).To(BeZero())
		}
		// Each round brought 2000 new URIs and app GUIDs (and indexes and
		// tags); sweeps keep the interner within twice what is live plus
		// its slack, not at the 20000 strings seen.
		Expect(table.InternedStrings()).To(BeNumerically("<", 2*(2*2000+2010)+4096))

		Expect(table.Register(routeEmitterInstance(0, "again.example.com"), t0)).To(BeTrue())
		Expect(table.Endpoints()[0].Tags).To(Equal(routeEmitterInstance(0, "").Tags))
	})

	It("replaces the endpoint and releases the old profile when an address is re-used", func() {
		table.Register(routeEmitterInstance(0, "a.example.com"), t0)
		other := routeEmitterInstance(0, "a.example.com")
		other.App, other.Tags["app_id"], other.PrivateInstanceID = "other-app", "other-app", "new-instance"
		Expect(table.Register(other, t0)).To(BeTrue())
		Expect(table.Profiles()).To(Equal(1))
		Expect(table.Endpoints()[0].AppGUID).To(Equal("other-app"))
	})
})
