package cloudcontroller_test

import (
	"errors"
	"time"

	"github.com/cloudfoundry/go-cfclient/v3/resource"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
)

func domain(guid, name string, internal bool) *resource.Domain {
	return &resource.Domain{Name: name, Internal: internal, Resource: resource.Resource{GUID: guid}}
}

func route(guid, host, domainGUID, path string, dests ...resource.RouteDestination) *resource.Route {
	return &resource.Route{
		Resource:      resource.Resource{GUID: guid},
		Protocol:      "http",
		Host:          host,
		Path:          path,
		Destinations:  dests,
		Relationships: resource.RouteRelationships{Domain: resource.ToOneRelationship{Data: &resource.Relationship{GUID: domainGUID}}},
	}
}

func dest(appGUID string) resource.RouteDestination {
	return resource.RouteDestination{GUID: ptr("dest-" + appGUID), App: resource.RouteDestinationApp{GUID: &appGUID}}
}

func weighted(d resource.RouteDestination, w int) resource.RouteDestination {
	d.Weight = &w
	return d
}

func process(guid, appGUID, processType string) *resource.Process {
	return &resource.Process{
		Type:          processType,
		Resource:      resource.Resource{GUID: guid},
		Relationships: resource.ProcessRelationships{App: resource.ToOneRelationship{Data: &resource.Relationship{GUID: appGUID}}},
	}
}

var domains = []*resource.Domain{
	domain("dom-apps", "Apps.Example.COM", false),
	domain("dom-internal", "apps.internal", true),
}

// translate translates routes, domains and processes alone.
func translate(routes []*resource.Route, domains []*resource.Domain, processes []*resource.Process) (source.DesiredRoutes, []error) {
	return cloudcontroller.Translate(cloudcontroller.Foundation{Routes: routes, Domains: domains, Processes: processes})
}

// translateOne translates a single route against the shared domains and
// expects it to come through.
func translateOne(r *resource.Route, processes ...*resource.Process) source.DesiredRoute {
	out, errs := translate([]*resource.Route{r}, domains, processes)
	ExpectWithOffset(1, errs).To(BeEmpty())
	ExpectWithOffset(1, out.Routes).To(HaveLen(1))
	return out.Routes[0]
}

var _ = Describe("Translate", func() {
	DescribeTable("builds the lower-case host from host and domain",
		func(host, domainGUID, wantHost string, wantInternal bool) {
			got := translateOne(route("r1", host, domainGUID, ""))
			Expect(got.Host).To(Equal(wantHost))
			Expect(got.Internal).To(Equal(wantInternal))
		},
		Entry("host and domain", "MyApp", "dom-apps", "myapp.apps.example.com", false),
		Entry("no host: the domain alone", "", "dom-apps", "apps.example.com", false),
		Entry("wildcard host", "*", "dom-apps", "*.apps.example.com", false),
		Entry("internal domain", "backend", "dom-internal", "backend.apps.internal", true),
	)

	It("keeps the route's GUID, path, load balancing and annotations", func() {
		r := route("r1", "app", "dom-apps", "/v1/api")
		r.Options = &resource.RouteOptions{LoadBalancing: "least-connection"}
		r.Metadata = &resource.Metadata{Annotations: map[string]*string{"owner": ptr("team-a"), "removed": nil}}

		got := translateOne(r)

		Expect(got.GUID).To(Equal("r1"))
		Expect(got.Path).To(Equal("/v1/api"))
		Expect(got.LoadBalancing).To(Equal("least-connection"))
		Expect(got.Annotations).To(Equal(map[string]string{"owner": "team-a"}))

		*r.Metadata.Annotations["owner"] = "changed"
		Expect(got.Annotations).To(HaveKeyWithValue("owner", "team-a"), "annotations must be copied")
	})

	It("fills Cloud Controller's defaults for unset destination fields", func() {
		got := translateOne(route("r1", "app", "dom-apps", "", dest("app-1")))

		Expect(got.Destinations).To(Equal([]source.DesiredDestination{{
			GUID: "dest-app-1", AppGUID: "app-1", ProcessType: "web", Port: 8080, Protocol: "http1",
		}}))
	})

	It("keeps explicit destination fields and looks up the process GUID", func() {
		d := dest("app-1")
		d.App.Process = &resource.RouteDestinationAppProcess{Type: "worker"}
		d.Port = ptr(9090)
		d.Protocol = ptr("http2")

		got := translateOne(route("r1", "app", "dom-apps", "", d),
			process("proc-web", "app-1", "web"),
			process("proc-worker", "app-1", "worker"),
			process("proc-other", "app-2", "worker"),
		)

		Expect(got.Destinations).To(Equal([]source.DesiredDestination{{
			GUID: "dest-app-1", AppGUID: "app-1", ProcessType: "worker", ProcessGUID: "proc-worker", Port: 9090, Protocol: "http2",
		}}))
	})

	It("leaves the process GUID empty when the process is not listed", func() {
		got := translateOne(route("r1", "app", "dom-apps", "", dest("app-1")), process("proc-x", "app-2", "web"))
		Expect(got.Destinations[0].ProcessGUID).To(BeEmpty())
	})

	It("keeps weights and Cloud Controller's destination order", func() {
		got := translateOne(route("r1", "app", "dom-apps", "",
			weighted(dest("app-b"), 80), weighted(dest("app-a"), 20)))

		Expect(got.Destinations).To(HaveLen(2))
		Expect(got.Destinations[0].AppGUID).To(Equal("app-b"))
		Expect(got.Destinations[0].Weight).To(HaveValue(Equal(int32(80))))
		Expect(got.Destinations[1].AppGUID).To(Equal("app-a"))
		Expect(got.Destinations[1].Weight).To(HaveValue(Equal(int32(20))))
	})

	It("leaves weights nil when Cloud Controller says null", func() {
		got := translateOne(route("r1", "app", "dom-apps", "", dest("app-a"), dest("app-b")))
		Expect(got.Destinations[0].Weight).To(BeNil())
		Expect(got.Destinations[1].Weight).To(BeNil())
	})

	It("skips TCP routes without an error", func() {
		tcp := route("r-tcp", "", "dom-tcp", "", dest("app-1"))
		tcp.Protocol = "tcp"

		out, errs := translate([]*resource.Route{tcp, route("r1", "app", "dom-apps", "")}, domains, nil)

		Expect(errs).To(BeEmpty())
		Expect(out.Routes).To(HaveLen(1))
		Expect(out.Routes[0].GUID).To(Equal("r1"))
	})

	It("sorts routes by host, then path", func() {
		out, errs := translate([]*resource.Route{
			route("r1", "b", "dom-apps", "/x"),
			route("r2", "a", "dom-apps", "/z"),
			route("r3", "b", "dom-apps", ""),
			route("r4", "a", "dom-apps", "/y"),
		}, domains, nil)

		Expect(errs).To(BeEmpty())
		var uris []string
		for _, r := range out.Routes {
			uris = append(uris, r.URI())
		}
		Expect(uris).To(Equal([]string{
			"a.apps.example.com/y", "a.apps.example.com/z", "b.apps.example.com", "b.apps.example.com/x",
		}))
	})

	It("translates a route listed twice once", func() {
		r := route("r1", "app", "dom-apps", "")
		out, errs := translate([]*resource.Route{r, nil, r}, append(domains, nil), []*resource.Process{nil})
		Expect(errs).To(BeEmpty())
		Expect(out.Routes).To(HaveLen(1))
	})

	It("returns an empty, non-nil route list for no routes", func() {
		out, errs := translate(nil, nil, nil)
		Expect(errs).To(BeNil())
		Expect(out.Routes).NotTo(BeNil())
		Expect(out.Routes).To(BeEmpty())
	})

	DescribeTable("drops a bad route with one error naming it, and keeps the others",
		func(bad *resource.Route, reason string) {
			good := route("r-good", "good", "dom-apps", "", dest("app-1"))

			out, errs := translate([]*resource.Route{bad, good}, domains, nil)

			Expect(out.Routes).To(HaveLen(1))
			Expect(out.Routes[0].GUID).To(Equal("r-good"))
			Expect(errs).To(HaveLen(1))
			var routeErr *cloudcontroller.RouteError
			Expect(errors.As(errs[0], &routeErr)).To(BeTrue())
			Expect(routeErr.RouteGUID).To(Equal("r-bad"))
			Expect(routeErr.Reason).To(Equal(reason))
			Expect(errs[0]).To(MatchError("route r-bad dropped: " + reason))
		},
		Entry("unknown domain",
			route("r-bad", "app", "dom-gone", "", dest("app-1")),
			"domain dom-gone is not among the listed domains"),
		Entry("no domain relationship",
			&resource.Route{Resource: resource.Resource{GUID: "r-bad"}, Protocol: "http"},
			"route has no domain relationship"),
		Entry("weights not summing to 100",
			route("r-bad", "app", "dom-apps", "", weighted(dest("a"), 50), weighted(dest("b"), 40)),
			"weights sum to 90, must sum to 100"),
		Entry("weighted and unweighted destinations",
			route("r-bad", "app", "dom-apps", "", weighted(dest("a"), 100), dest("b")),
			"destinations[0] has a weight but destinations[1] has none: weights are all-or-none"),
		Entry("a weight out of range",
			route("r-bad", "app", "dom-apps", "", weighted(dest("a"), 0), weighted(dest("b"), 100)),
			"destinations[0] has weight 0, must be between 1 and 100"),
		Entry("a destination without an app guid",
			route("r-bad", "app", "dom-apps", "", dest("a"), resource.RouteDestination{}),
			"destinations[1]: destination has no app guid"),
		Entry("a destination port out of range",
			route("r-bad", "app", "dom-apps", "", resource.RouteDestination{App: resource.RouteDestinationApp{GUID: ptr("a")}, Port: ptr(70000)}),
			"destinations[0]: port 70000 is out of range 1..65535"),
		Entry("an unknown destination protocol",
			route("r-bad", "app", "dom-apps", "", resource.RouteDestination{App: resource.RouteDestinationApp{GUID: ptr("a")}, Protocol: ptr("tcp")}),
			`destinations[0]: protocol "tcp" is not http1 or http2`),
		Entry("an unknown route protocol",
			func() *resource.Route { r := route("r-bad", "app", "dom-apps", ""); r.Protocol = "udp"; return r }(),
			`unsupported protocol "udp"`),
	)
})

func app(guid, state string) *resource.App {
	return &resource.App{Resource: resource.Resource{GUID: guid}, State: state}
}

func space(guid, orgGUID string) *resource.Space {
	return &resource.Space{Resource: resource.Resource{GUID: guid}, Relationships: &resource.SpaceRelationships{
		Organization: &resource.ToOneRelationship{Data: &resource.Relationship{GUID: orgGUID}},
	}}
}

func inSpace(r *resource.Route, spaceGUID string) *resource.Route {
	r.Relationships.Space = resource.ToOneRelationship{Data: &resource.Relationship{GUID: spaceGUID}}
	return r
}

var _ = Describe("Translate with apps and spaces", func() {
	It("drops destinations of apps that are not started, after checking the weights", func() {
		f := cloudcontroller.Foundation{
			Routes: []*resource.Route{
				route("r1", "canary", "dom-apps", "", weighted(dest("app-a"), 90), weighted(dest("app-b"), 10)),
				route("r2", "off", "dom-apps", "", dest("app-b")),
			},
			Domains: domains,
			Apps:    []*resource.App{app("app-a", "STARTED"), app("app-b", "STOPPED")},
		}

		out, errs := cloudcontroller.Translate(f)

		Expect(errs).To(BeEmpty(), "90/10 was valid before the stopped destination went")
		Expect(out.Routes).To(HaveLen(2))
		Expect(out.Routes[0].Host).To(Equal("canary.apps.example.com"))
		Expect(out.Routes[0].Destinations).To(HaveLen(1))
		Expect(out.Routes[0].Destinations[0].AppGUID).To(Equal("app-a"))
		Expect(out.Routes[0].Destinations[0].Weight).To(HaveValue(Equal(int32(90))))
		Expect(out.Routes[1].Host).To(Equal("off.apps.example.com"))
		Expect(out.Routes[1].Destinations).To(BeEmpty(), "the route stays known without destinations")
	})

	It("keeps destinations of apps it was not told about", func() {
		out, errs := cloudcontroller.Translate(cloudcontroller.Foundation{
			Routes:  []*resource.Route{route("r1", "x", "dom-apps", "", dest("app-unlisted"))},
			Domains: domains,
			Apps:    []*resource.App{app("app-a", "STOPPED")},
		})
		Expect(errs).To(BeEmpty())
		Expect(out.Routes[0].Destinations).To(HaveLen(1))
	})

	It("fills the route's space and its organization", func() {
		out, errs := cloudcontroller.Translate(cloudcontroller.Foundation{
			Routes: []*resource.Route{
				inSpace(route("r1", "a", "dom-apps", ""), "space-1"),
				inSpace(route("r2", "b", "dom-apps", ""), "space-unlisted"),
				route("r3", "c", "dom-apps", ""),
			},
			Domains: domains,
			Spaces:  []*resource.Space{space("space-1", "org-1"), nil, {Resource: resource.Resource{GUID: "space-bare"}}},
		})
		Expect(errs).To(BeEmpty())
		Expect([]string{out.Routes[0].SpaceGUID, out.Routes[0].OrganizationGUID}).To(Equal([]string{"space-1", "org-1"}))
		Expect([]string{out.Routes[1].SpaceGUID, out.Routes[1].OrganizationGUID}).To(Equal([]string{"space-unlisted", ""}))
		Expect([]string{out.Routes[2].SpaceGUID, out.Routes[2].OrganizationGUID}).To(Equal([]string{"", ""}))
	})

	It("picks the newest of several processes of one type, whatever the order", func() {
		old := process("proc-old", "app-1", "web")
		old.CreatedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		deploying := process("proc-new", "app-1", "web")
		deploying.CreatedAt = old.CreatedAt.Add(time.Minute)
		r := route("r1", "app", "dom-apps", "", dest("app-1"))

		Expect(translateOne(r, old, deploying).Destinations[0].ProcessGUID).To(Equal("proc-new"))
		Expect(translateOne(r, deploying, old).Destinations[0].ProcessGUID).To(Equal("proc-new"))
	})
})
