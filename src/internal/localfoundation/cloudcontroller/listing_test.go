package cloudcontroller_test

import (
	"net/http"
	"sync"

	"github.com/cloudfoundry/go-cfclient/v3/client"
	"github.com/cloudfoundry/go-cfclient/v3/resource"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
)

var _ = Describe("listing with the real go-cfclient", func() {
	var (
		s                    *standIn
		appsDomain, internal string
		appA, appB           string
		routeGUIDs           []string
	)

	BeforeEach(func() {
		s = startStandIn(cloudcontroller.Options{})
		DeferCleanup(s.Close)
		appsDomain = s.cc.AddDomain("apps.example.com", false)
		internal = s.cc.AddDomain("apps.internal", true)
		appA, appB = s.cc.AddApp("a"), s.cc.AddApp("b")
		s.cc.AddProcess(appA, "web")
		s.cc.AddProcess(appA, "worker")
		s.cc.AddProcess(appB, "web")
		routeGUIDs = []string{
			s.cc.AddRoute("one", appsDomain, ""),
			s.cc.AddRoute("two", appsDomain, "/v2"),
			s.cc.AddRoute("three", internal, ""),
			s.cc.AddRoute("", appsDomain, ""),
			s.cc.AddRoute("five", appsDomain, ""),
		}
	})

	It("pages routes with their domains included", func() {
		Expect(s.cc.ReplaceDestinations(routeGUIDs[1], []cloudcontroller.Destination{
			{AppGUID: appA, Weight: ptr(80)},
			{AppGUID: appB, Port: 9000, Protocol: "http2", Weight: ptr(20)},
		})).To(Succeed())
		Expect(s.cc.SetRouteOptions(routeGUIDs[0], "least-connection")).To(Succeed())
		Expect(s.cc.SetRouteAnnotations(routeGUIDs[0], map[string]string{"owner": "team"})).To(Succeed())
		ctx, cancel := testContext()
		defer cancel()
		opts := client.NewRouteListOptions()
		opts.PerPage = 2

		routes, domains, err := s.goodClient().Routes.ListIncludeDomainsAll(ctx, opts)

		Expect(err).NotTo(HaveOccurred())
		Expect(s.cc.Requests("/v3/routes")).To(Equal(3), "5 routes at 2 per page")
		var guids []string
		for _, r := range routes {
			guids = append(guids, r.GUID)
		}
		Expect(guids).To(Equal(routeGUIDs), "creation order")
		Expect(routes[0].Options.LoadBalancing).To(Equal("least-connection"))
		Expect(*routes[0].Metadata.Annotations["owner"]).To(Equal("team"))
		Expect(routes[0].URL).To(Equal("one.apps.example.com"))
		Expect(routes[3].URL).To(Equal("apps.example.com"))
		Expect(routes[1].Path).To(Equal("/v2"))
		Expect(routes[1].Protocol).To(Equal("http"))
		Expect(routes[1].Relationships.Domain.Data.GUID).To(Equal(appsDomain))
		Expect(routes[1].Destinations).To(HaveLen(2))
		Expect(*routes[1].Destinations[0].App.GUID).To(Equal(appA))
		Expect(routes[1].Destinations[0].App.Process.Type).To(Equal("web"))
		Expect(*routes[1].Destinations[0].Weight).To(Equal(80))
		Expect(*routes[1].Destinations[0].Port).To(Equal(8080))
		Expect(*routes[1].Destinations[0].Protocol).To(Equal("http1"))
		Expect(*routes[1].Destinations[1].Port).To(Equal(9000))
		Expect(*routes[1].Destinations[1].Protocol).To(Equal("http2"))
		Expect(routes[0].Destinations).To(BeEmpty())
		var names []string
		for _, d := range domains {
			names = append(names, d.Name)
		}
		Expect(names).To(ConsistOf("apps.example.com", "apps.internal", "apps.example.com", "apps.example.com"),
			"each page includes the domains of its own routes")
		for _, d := range domains {
			Expect(d.Internal).To(Equal(d.Name == "apps.internal"))
			Expect(d.SupportedProtocols).To(Equal([]string{"http"}))
		}
	})

	It("pages processes with their apps", func() {
		ctx, cancel := testContext()
		defer cancel()
		opts := client.NewProcessOptions()
		opts.PerPage = 1

		processes, err := s.goodClient().Processes.ListAll(ctx, opts)

		Expect(err).NotTo(HaveOccurred())
		Expect(s.cc.Requests("/v3/processes")).To(Equal(3))
		Expect(processes).To(HaveLen(3))
		Expect(processes[1].Type).To(Equal("worker"))
		Expect(processes[1].Relationships.App.Data.GUID).To(Equal(appA))
		Expect(processes[1].Version).NotTo(BeEmpty())
	})

	It("pages domains", func() {
		ctx, cancel := testContext()
		defer cancel()
		opts := client.NewDomainListOptions()
		opts.PerPage = 1

		domains, err := s.goodClient().Domains.ListAll(ctx, opts)

		Expect(err).NotTo(HaveOccurred())
		Expect(domains).To(HaveLen(2))
		Expect(domains[1].GUID).To(Equal(internal))
		Expect(domains[1].Internal).To(BeTrue())
	})

	It("gets one route with its domain", func() {
		ctx, cancel := testContext()
		defer cancel()

		r, d, err := s.goodClient().Routes.GetIncludeDomain(ctx, routeGUIDs[2])

		Expect(err).NotTo(HaveOccurred())
		Expect(r.Host).To(Equal("three"))
		Expect(d.Name).To(Equal("apps.internal"))
	})

	It("forgets deleted routes", func() {
		s.cc.DeleteRoute(routeGUIDs[0])
		s.cc.DeleteRoute("not-a-route")
		ctx, cancel := testContext()
		defer cancel()

		routes, err := s.goodClient().Routes.ListAll(ctx, nil)

		Expect(err).NotTo(HaveOccurred())
		Expect(routes).To(HaveLen(4))
		Expect(routes[0].GUID).To(Equal(routeGUIDs[1]))
	})

	It("serves listings while it is being changed", func() {
		ctx, cancel := testContext()
		defer cancel()
		c := s.goodClient()
		var wg sync.WaitGroup
		wg.Go(func() {
			defer GinkgoRecover()
			for range 20 {
				guid := s.cc.AddRoute("churn", appsDomain, "")
				Expect(s.cc.ReplaceDestinations(guid, []cloudcontroller.Destination{{AppGUID: appA}})).To(Succeed())
				s.cc.DeleteRoute(guid)
			}
		})
		for range 5 {
			_, _, err := c.Routes.ListIncludeDomainsAll(ctx, nil)
			Expect(err).NotTo(HaveOccurred())
		}
		wg.Wait()
	})
})

var _ = Describe("pagination", func() {
	var (
		s     *standIn
		token string
	)

	BeforeEach(func() {
		s = startStandIn(cloudcontroller.Options{})
		DeferCleanup(s.Close)
		d := s.cc.AddDomain("apps.example.com", false)
		for range 3 {
			s.cc.AddRoute("r", d, "")
		}
		token = s.token()
	})

	It("links pages with absolute URLs and null at the ends", func() {
		status, body := s.do(http.MethodGet, "/v3/routes?per_page=2&page=2&include=domain", token, "")

		Expect(status).To(Equal(http.StatusOK))
		p := body["pagination"].(map[string]any)
		Expect(p["total_results"]).To(BeNumerically("==", 3))
		Expect(p["total_pages"]).To(BeNumerically("==", 2))
		Expect(p["first"]).To(Equal(map[string]any{"href": s.server.URL + "/v3/routes?include=domain&page=1&per_page=2"}))
		Expect(p["last"]).To(Equal(map[string]any{"href": s.server.URL + "/v3/routes?include=domain&page=2&per_page=2"}))
		Expect(p["previous"]).To(Equal(map[string]any{"href": s.server.URL + "/v3/routes?include=domain&page=1&per_page=2"}))
		Expect(p["next"]).To(BeNil())
		Expect(body["resources"]).To(HaveLen(1))
		Expect(body["included"]).To(HaveKeyWithValue("domains", HaveLen(1)))
	})

	It("answers a page past the end with no resources", func() {
		status, body := s.do(http.MethodGet, "/v3/routes?page=7", token, "")

		Expect(status).To(Equal(http.StatusOK))
		Expect(body["resources"]).To(BeEmpty())
		Expect(body["pagination"]).To(HaveKeyWithValue("next", BeNil()))
		Expect(body["pagination"]).To(HaveKeyWithValue("previous", HaveKeyWithValue("href", s.server.URL+"/v3/routes?page=6&per_page=50")))
	})

	It("reports one page for an empty list", func() {
		status, body := s.do(http.MethodGet, "/v3/processes", token, "")

		Expect(status).To(Equal(http.StatusOK))
		Expect(body["resources"]).To(BeEmpty())
		Expect(body["pagination"]).To(HaveKeyWithValue("total_pages", BeNumerically("==", 1)))
		Expect(body["pagination"]).To(HaveKeyWithValue("last", HaveKeyWithValue("href", s.server.URL+"/v3/processes?page=1&per_page=50")))
	})

	DescribeTable("refuses bad query parameters with 400",
		func(query, detail string) {
			status, body := s.do(http.MethodGet, "/v3/routes?"+query, token, "")

			Expect(status).To(Equal(http.StatusBadRequest))
			Expect(firstError(body)).To(Equal(map[string]any{
				"code": float64(10005), "title": "CF-BadQueryParameter", "detail": detail,
			}))
		},
		Entry("per_page 0", "per_page=0", "The query parameter is invalid: Per page must be between 1 and 5000"),
		Entry("per_page above 5000", "per_page=5001", "The query parameter is invalid: Per page must be between 1 and 5000"),
		Entry("per_page not a number", "per_page=ten", "The query parameter is invalid: Per page must be between 1 and 5000"),
		Entry("page 0", "page=0", "The query parameter is invalid: Page must be greater than 0"),
		Entry("an unimplemented filter", "ports=80",
			"The query parameter is invalid: Unknown query parameter(s): 'ports'. Valid parameters are: 'page', 'per_page', 'order_by', 'created_ats', 'updated_ats', 'guids', 'app_guids', 'space_guids', 'organization_guids', 'domain_guids', 'hosts', 'paths', 'include'"),
		Entry("an operator on a value filter", "guids[gt]=x",
			"The query parameter is invalid: Unknown query parameter(s): 'guids[gt]'. Valid parameters are: 'page', 'per_page', 'order_by', 'created_ats', 'updated_ats', 'guids', 'app_guids', 'space_guids', 'organization_guids', 'domain_guids', 'hosts', 'paths', 'include'"),
		Entry("an unknown include", "include=space", "The query parameter is invalid: Invalid included resource: 'space'. Valid included resources are: 'domain'"),
		Entry("an unknown order", "order_by=host", "The query parameter is invalid: Order by can only be: 'created_at', 'updated_at'"),
		Entry("a timestamp with a zone", "created_ats[gte]=2026-01-01T00:00:00%2B01:00",
			"The query parameter is invalid: Created ats has an invalid timestamp format. Timestamps should be formatted as 'YYYY-MM-DDThh:mm:ssZ'"),
		Entry("two timestamps for one operator", "updated_ats[lt]=2026-01-01T00:00:00Z,2026-01-02T00:00:00Z",
			"The query parameter is invalid: updated_ats[lt] takes exactly one timestamp"),
	)

	It("accepts the largest page Cloud Controller allows", func() {
		status, body := s.do(http.MethodGet, "/v3/routes?per_page=5000", token, "")
		Expect(status).To(Equal(http.StatusOK))
		Expect(body["resources"]).To(HaveLen(3))
	})

	It("answers unknown endpoints with Cloud Controller's 404", func() {
		status, body := s.do(http.MethodGet, "/v3/stacks", token, "")
		Expect(status).To(Equal(http.StatusNotFound))
		Expect(firstError(body)).To(HaveKeyWithValue("title", "CF-NotFound"))
	})
})

var _ = Describe("the API root", func() {
	It("points the client at the stand-in as UAA and login", func() {
		s := startStandIn(cloudcontroller.Options{})
		DeferCleanup(s.Close)

		status, body := s.do(http.MethodGet, "/", "", "")

		Expect(status).To(Equal(http.StatusOK))
		links := body["links"].(map[string]any)
		Expect(links["uaa"]).To(Equal(map[string]any{"href": s.server.URL}))
		Expect(links["login"]).To(Equal(map[string]any{"href": s.server.URL}))
		Expect(links["cloud_controller_v3"]).To(Equal(map[string]any{
			"href": s.server.URL + "/v3", "meta": map[string]any{"version": "3.180.0"},
		}))
	})

	It("builds links from the request's host until a base URL is set", func() {
		cc := cloudcontroller.New(cloudcontroller.Options{})
		server := startServer(cc)
		DeferCleanup(server.Close)
		s := &standIn{cc: cc, server: server}

		_, body := s.do(http.MethodGet, "/", "", "")

		Expect(body["links"]).To(HaveKeyWithValue("self", map[string]any{"href": server.URL}))
	})
})

// routesOf lists a stand-in's routes through go-cfclient.
func routesOf(s *standIn) []*resource.Route {
	ctx, cancel := testContext()
	defer cancel()
	routes, err := s.goodClient().Routes.ListAll(ctx, nil)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return routes
}
