package routingtable_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
	"code.cloudfoundry.org/cf-mesh/internal/source"
)

func weight(w int32) *int32 { return &w }

func endpoint(uri, addr string, port uint32, app, processType, processGUID string) source.Endpoint {
	return source.Endpoint{URI: uri, Address: addr, Port: port, AppGUID: app,
		ProcessType: processType, ProcessGUID: processGUID}
}

var _ = Describe("Build", func() {
	weighted := source.DesiredRoute{
		GUID: "route-1", Host: "shop.example.com",
		Destinations: []source.DesiredDestination{
			{AppGUID: "app-a", ProcessType: "web", ProcessGUID: "proc-a", Port: 8080, Protocol: "http1", Weight: weight(80)},
			{AppGUID: "app-b", ProcessType: "web", ProcessGUID: "proc-b", Port: 8080, Protocol: "http1", Weight: weight(20)},
		},
	}

	It("gives each destination the endpoints its app process registered for the route's URI", func() {
		table := build(source.DesiredRoutes{Routes: []source.DesiredRoute{weighted}}, source.Endpoints{
			endpoint("shop.example.com", "10.0.0.2", 61000, "app-a", "web", "proc-a"),
			endpoint("shop.example.com", "10.0.0.1", 61001, "app-a", "web", "proc-a"),
			endpoint("shop.example.com", "10.0.0.3", 61002, "app-b", "", ""),
			endpoint("other.example.com", "10.0.0.9", 61009, "app-b", "web", "proc-b"),
		})

		Expect(table.Routes).To(HaveLen(2))
		shop := table.Routes[1]
		Expect(shop.Host).To(Equal("shop.example.com"))
		Expect(shop.Origin).To(Equal(routingtable.OriginCloudController))
		Expect(shop.Destinations).To(HaveLen(2))
		a, b := shop.Destinations[0], shop.Destinations[1]
		Expect(a.Key).To(Equal("proc-a"))
		Expect(*a.Weight).To(BeEquivalentTo(80))
		Expect(a.Endpoints).To(HaveLen(2))
		Expect(a.Endpoints[0].Address).To(Equal("10.0.0.1"), "endpoints are sorted by address")
		Expect(b.Key).To(Equal("proc-b"))
		Expect(b.Endpoints).To(ConsistOf(HaveField("Address", "10.0.0.3")),
			"a registration without process_type matches the web process")
	})

	It("keeps the other URI's endpoints in a NATS-only route", func() {
		table := build(source.DesiredRoutes{Routes: []source.DesiredRoute{weighted}}, source.Endpoints{
			endpoint("other.example.com", "10.0.0.9", 61009, "app-b", "web", "proc-b"),
		})
		other := table.Routes[0]
		Expect(other.Host).To(Equal("other.example.com"))
		Expect(other.Origin).To(Equal(routingtable.OriginNATS))
		Expect(other.Destinations).To(ConsistOf(And(
			HaveField("Key", "proc-b"), HaveField("Port", uint32(routingtable.DefaultPort)),
			HaveField("Weight", BeNil()))))
	})

	It("ignores endpoints of apps the Cloud Controller route does not map", func() {
		table := build(source.DesiredRoutes{Routes: []source.DesiredRoute{weighted}}, source.Endpoints{
			endpoint("shop.example.com", "10.0.0.7", 61007, "app-unmapped", "web", "proc-x"),
		})
		Expect(table.Routes).To(HaveLen(1))
		for _, d := range table.Routes[0].Destinations {
			Expect(d.Endpoints).To(BeEmpty())
		}
	})

	It("keeps a desired route whose destinations have no endpoints", func() {
		table := build(source.DesiredRoutes{Routes: []source.DesiredRoute{weighted}}, nil)
		Expect(table.Routes).To(HaveLen(1))
		Expect(table.Routes[0].Destinations).To(HaveLen(2))
	})

	It("learns an unknown process GUID from the endpoints' tags", func() {
		route := source.DesiredRoute{Host: "a.example.com", Destinations: []source.DesiredDestination{
			{AppGUID: "app-a", ProcessType: "web", Port: 8080}}}
		table := build(source.DesiredRoutes{Routes: []source.DesiredRoute{route}}, source.Endpoints{
			endpoint("a.example.com", "10.0.0.1", 61001, "app-a", "web", "proc-from-nats"),
		})
		Expect(table.Routes[0].Destinations[0].Key).To(Equal("proc-from-nats"))
		Expect(table.Routes[0].Destinations[0].ProcessGUID).To(Equal("proc-from-nats"))
	})

	It("orders a host's routes longest path first", func() {
		routes := []source.DesiredRoute{
			{Host: "a.example.com", Path: ""},
			{Host: "a.example.com", Path: "/v1"},
			{Host: "a.example.com", Path: "/v1/admin"},
			{Host: "0.example.com", Path: "/z"},
		}
		table := build(source.DesiredRoutes{Routes: routes}, nil)
		var keys []string
		for _, r := range table.Routes {
			keys = append(keys, r.Host+r.Path)
		}
		Expect(keys).To(Equal([]string{"0.example.com/z", "a.example.com/v1/admin", "a.example.com/v1", "a.example.com"}))
	})

	It("matches a context-path route only to registrations of that path", func() {
		routes := []source.DesiredRoute{
			{Host: "a.example.com", Path: "/api", Destinations: []source.DesiredDestination{{AppGUID: "app-api", ProcessType: "web", Port: 8080}}},
			{Host: "a.example.com", Destinations: []source.DesiredDestination{{AppGUID: "app-ui", ProcessType: "web", Port: 8080}}},
		}
		table := build(source.DesiredRoutes{Routes: routes}, source.Endpoints{
			endpoint("a.example.com/api", "10.0.0.1", 1, "app-api", "web", ""),
			endpoint("a.example.com", "10.0.0.2", 2, "app-ui", "web", ""),
		})
		Expect(table.Routes).To(HaveLen(2))
		Expect(table.Routes[0].Destinations[0].Endpoints).To(ConsistOf(HaveField("Address", "10.0.0.1")))
		Expect(table.Routes[1].Destinations[0].Endpoints).To(ConsistOf(HaveField("Address", "10.0.0.2")))
	})

	DescribeTable("DestinationKey",
		func(processGUID, appGUID, processType, want string) {
			Expect(routingtable.DestinationKey(processGUID, appGUID, processType)).To(Equal(want))
		},
		Entry("process GUID wins", "proc", "app", "worker", "proc"),
		Entry("app and type without a process GUID", "", "app", "worker", "app-worker"),
		Entry("app defaults to web", "", "app", "", "app-web"),
		Entry("route_registrar endpoints", "", "", "", routingtable.RouteRegistrarKey),
	)

	It("groups NATS-only endpoints into one equally weighted destination per app process", func() {
		table := build(source.DesiredRoutes{}, source.Endpoints{
			endpoint("api.system.example.com", "10.0.1.1", 9022, "", "", ""),
			endpoint("api.system.example.com", "10.0.1.2", 9022, "", "", ""),
			endpoint("legacy.example.com/v2", "10.0.2.1", 61001, "app-x", "web", "proc-x"),
			endpoint("legacy.example.com/v2", "10.0.2.2", 61002, "app-y", "web", ""),
		})
		Expect(table.Routes).To(HaveLen(2))
		api := table.Routes[0]
		Expect(api.Destinations).To(ConsistOf(And(HaveField("Key", routingtable.RouteRegistrarKey), HaveField("Endpoints", HaveLen(2)))))
		legacy := table.Routes[1]
		Expect(legacy.Host).To(Equal("legacy.example.com"))
		Expect(legacy.Path).To(Equal("/v2"))
		Expect(legacy.Destinations).To(HaveLen(2))
		Expect(legacy.Destinations[0].Key).To(Equal("app-y-web"))
		Expect(legacy.Destinations[1].Key).To(Equal("proc-x"))
	})

	It("keeps two destinations of one process on different ports apart", func() {
		route := source.DesiredRoute{Host: "a.example.com", Destinations: []source.DesiredDestination{
			{AppGUID: "app", ProcessType: "web", ProcessGUID: "proc", Port: 8080},
			{AppGUID: "app", ProcessType: "web", ProcessGUID: "proc", Port: 9090},
		}}
		table := build(source.DesiredRoutes{Routes: []source.DesiredRoute{route}}, nil)
		Expect(table.Routes[0].Destinations).To(HaveLen(2))
		Expect(table.Routes[0].Destinations[0].Key).To(Equal("proc-8080"))
		Expect(table.Routes[0].Destinations[1].Key).To(Equal("proc-9090"))
	})

	It("gives internal endpoints the destination's container port and marks internal NATS-only routes", func() {
		route := source.DesiredRoute{Host: "backend.apps.internal", Internal: true, Destinations: []source.DesiredDestination{
			{AppGUID: "app-b", ProcessType: "web", Port: 9090}}}
		table := build(source.DesiredRoutes{Routes: []source.DesiredRoute{route}}, source.Endpoints{
			{URI: "0.backend.apps.internal", Address: "10.255.3.4", AppGUID: "app-b", Internal: true},
			{URI: "backend.apps.internal", Address: "10.255.3.4", AppGUID: "app-b", Internal: true},
		})
		Expect(table.Routes).To(HaveLen(2))
		instance, service := table.Routes[0], table.Routes[1]
		Expect(service.Destinations[0].Endpoints).To(ConsistOf(And(HaveField("Address", "10.255.3.4"), HaveField("Port", uint32(9090)))))
		Expect(instance.Host).To(Equal("0.backend.apps.internal"))
		Expect(instance.Internal).To(BeTrue())
		Expect(instance.Destinations).To(ConsistOf(HaveField("Port", uint32(9090))),
			"a per-instance host is served on its parent route's port for the app")
		Expect(instance.Destinations[0].Endpoints).To(ConsistOf(HaveField("Port", uint32(9090))))
	})

	DescribeTable("serves a per-instance host on DefaultPort when no internal route of its app is its parent",
		func(uri string, parent source.DesiredRoute) {
			table := build(source.DesiredRoutes{Routes: []source.DesiredRoute{parent}}, source.Endpoints{
				{URI: uri, Address: "10.255.3.4", AppGUID: "app-b", Internal: true},
			})
			var instance routingtable.Route
			for _, r := range table.Routes {
				if r.Host == uri {
					instance = r
				}
			}
			Expect(instance.Destinations).To(ConsistOf(And(
				HaveField("Port", uint32(routingtable.DefaultPort)),
				HaveField("Endpoints", ConsistOf(HaveField("Port", uint32(routingtable.DefaultPort)))))))
		},
		Entry("no parent route", "0.other.apps.internal", source.DesiredRoute{Host: "backend.apps.internal", Internal: true,
			Destinations: []source.DesiredDestination{{AppGUID: "app-b", Port: 9090}}}),
		Entry("the parent maps another app", "0.backend.apps.internal", source.DesiredRoute{Host: "backend.apps.internal", Internal: true,
			Destinations: []source.DesiredDestination{{AppGUID: "app-other", Port: 9090}}}),
		Entry("the parent is not internal", "0.backend.apps.internal", source.DesiredRoute{Host: "backend.apps.internal",
			Destinations: []source.DesiredDestination{{AppGUID: "app-b", Port: 9090}}}),
		Entry("the parent has a path", "0.backend.apps.internal", source.DesiredRoute{Host: "backend.apps.internal", Path: "/api", Internal: true,
			Destinations: []source.DesiredDestination{{AppGUID: "app-b", Port: 9090}}}),
		Entry("not an index", "zero.backend.apps.internal", source.DesiredRoute{Host: "backend.apps.internal", Internal: true,
			Destinations: []source.DesiredDestination{{AppGUID: "app-b", Port: 9090}}}),
		Entry("an index alone", "0.", source.DesiredRoute{Host: "", Internal: true,
			Destinations: []source.DesiredDestination{{AppGUID: "app-b", Port: 9090}}}),
	)

	It("is deterministic", func() {
		eps := source.Endpoints{
			endpoint("x.example.com", "10.0.0.2", 2, "b", "web", ""),
			endpoint("x.example.com", "10.0.0.1", 1, "a", "web", ""),
			endpoint("y.example.com", "10.0.0.3", 3, "c", "web", ""),
		}
		first := build(source.DesiredRoutes{}, eps)
		for range 20 {
			Expect(build(source.DesiredRoutes{}, eps)).To(Equal(first))
		}
	})
})

// build joins without policies, which most cases do not involve.
func build(desired source.DesiredRoutes, endpoints source.Endpoints) routingtable.Table {
	return routingtable.Build(desired, endpoints, routingtable.Policies{})
}

var _ = Describe("Build with policies", func() {
	const app = "5e3b1c2a-0f4d-4c8e-9a7b-1d2e3f4a5b6c"

	It("keeps each route's route policies and carries the network policies with their state", func() {
		caller := source.Caller{Kind: source.CallerSpace, GUID: app}
		policies := routingtable.Policies{
			Network:    source.NetworkPolicies{{SourceAppGUID: app, DestinationAppGUID: app, Protocol: "tcp", StartPort: 8080, EndPort: 8080}},
			Unverified: []string{app},
		}
		table := routingtable.Build(source.DesiredRoutes{Routes: []source.DesiredRoute{{
			GUID: "r", Host: "api.apps.internal", Internal: true,
			EnforceRoutePolicies: true, RoutePolicies: []source.Caller{caller},
			Destinations: []source.DesiredDestination{{AppGUID: app, Port: 8080}},
		}}}, nil, policies)

		Expect(table.Routes[0].EnforceRoutePolicies).To(BeTrue())
		Expect(table.Routes[0].RoutePolicies).To(ConsistOf(caller))
		Expect(table.Policies).To(Equal(policies))
	})
})

var _ = Describe("Table.Apps", func() {
	It("lists every destination app once, sorted, leaving out route_registrar routes", func() {
		table := build(source.DesiredRoutes{Routes: []source.DesiredRoute{
			{Host: "b.example.com", Destinations: []source.DesiredDestination{{AppGUID: "app-b"}, {AppGUID: "app-a"}}},
			{Host: "a.example.com", Destinations: []source.DesiredDestination{{AppGUID: "app-b"}}},
		}}, source.Endpoints{{URI: "api.system.example.com", Address: "10.0.0.1", Port: 9022}})
		Expect(table.Apps()).To(Equal([]string{"app-a", "app-b"}))
	})
})
