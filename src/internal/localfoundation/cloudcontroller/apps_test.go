package cloudcontroller_test

import (
	"github.com/cloudfoundry/go-cfclient/v3/client"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
)

var _ = Describe("apps, spaces, organizations and targeted route reads", func() {
	var (
		s                  *standIn
		c                  *client.Client
		org, space         string
		appA, appB         string
		sharedD, privateD  string
		routeOne, routeTwo string
	)

	BeforeEach(func() {
		s = startStandIn(cloudcontroller.Options{})
		DeferCleanup(s.Close)
		c = s.goodClient()
		org = s.cc.AddOrganization("payments")
		space = s.cc.AddSpace("prod", org)
		appA = s.cc.AddApp("a", cloudcontroller.InSpace(space))
		appB = s.cc.AddApp("b", cloudcontroller.WithState(cloudcontroller.AppStopped))
		sharedD = s.cc.AddDomain("apps.example.com", false)
		privateD = s.cc.AddPrivateDomain("payments.example.com", org)
		routeOne = s.cc.AddRoute("one", privateD, "", cloudcontroller.InSpace(space))
		routeTwo = s.cc.AddRoute("two", sharedD, "")
		Expect(s.cc.ReplaceDestinations(routeOne, []cloudcontroller.Destination{{AppGUID: appA}})).To(Succeed())
		Expect(s.cc.ReplaceDestinations(routeTwo, []cloudcontroller.Destination{{AppGUID: appA}, {AppGUID: appB}})).To(Succeed())
	})

	It("lists apps with their state and space, page by page", func() {
		ctx, cancel := testContext()
		defer cancel()
		opts := client.NewAppListOptions()
		opts.PerPage = 1

		apps, err := c.Applications.ListAll(ctx, opts)

		Expect(err).NotTo(HaveOccurred())
		Expect(apps).To(HaveLen(2))
		Expect(apps[0].GUID).To(Equal(appA))
		Expect(apps[0].State).To(Equal("STARTED"))
		Expect(apps[0].Relationships.Space.Data.GUID).To(Equal(space))
		Expect(apps[1].State).To(Equal("STOPPED"))
		Expect(apps[1].Relationships.Space.Data.GUID).To(Equal(cloudcontroller.DefaultSpaceGUID))
		Expect(apps[1].Lifecycle.Type).To(Equal("buildpack"))
		Expect(s.cc.Listings("/v3/apps")).To(Equal(2), "two pages of one full listing")

		opts = client.NewAppListOptions()
		opts.GUIDs.EqualTo(appB)
		apps, err = c.Applications.ListAll(ctx, opts)
		Expect(err).NotTo(HaveOccurred())
		Expect(apps).To(HaveLen(1))
		Expect(apps[0].Name).To(Equal("b"))
		Expect(s.cc.Listings("/v3/apps")).To(Equal(2), "a filtered read is not a full listing")

		app, err := c.Applications.Get(ctx, appA)
		Expect(err).NotTo(HaveOccurred())
		Expect(app.Name).To(Equal("a"))
	})

	It("lists spaces with their organization, and organizations", func() {
		ctx, cancel := testContext()
		defer cancel()

		spaces, err := c.Spaces.ListAll(ctx, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(spaces).To(HaveLen(2))
		Expect(spaces[0].GUID).To(Equal(cloudcontroller.DefaultSpaceGUID))
		Expect(spaces[0].Relationships.Organization.Data.GUID).To(Equal(cloudcontroller.DefaultOrganizationGUID))
		Expect(spaces[1].Name).To(Equal("prod"))
		Expect(spaces[1].Relationships.Organization.Data.GUID).To(Equal(org))

		opts := client.NewSpaceListOptions()
		opts.GUIDs.EqualTo(space)
		spaces, err = c.Spaces.ListAll(ctx, opts)
		Expect(err).NotTo(HaveOccurred())
		Expect(spaces).To(HaveLen(1))

		orgs, err := c.Organizations.ListAll(ctx, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(orgs).To(HaveLen(2))
		Expect(orgs[1].Name).To(Equal("payments"))
		Expect(orgs[1].Suspended).To(BeFalse())
	})

	It("gives routes their space and private domains their organization", func() {
		ctx, cancel := testContext()
		defer cancel()

		routes, domains, err := c.Routes.ListIncludeDomainsAll(ctx, nil)

		Expect(err).NotTo(HaveOccurred())
		Expect(routes[0].Relationships.Space.Data.GUID).To(Equal(space))
		Expect(routes[1].Relationships.Space.Data.GUID).To(Equal(cloudcontroller.DefaultSpaceGUID))
		Expect(domains[0].GUID).To(Equal(privateD))
		Expect(domains[0].Relationships.Organization.Data.GUID).To(Equal(org))
		Expect(domains[1].Relationships.Organization.Data).To(BeNil())
	})

	It("filters routes by app, and counts only unfiltered listings", func() {
		ctx, cancel := testContext()
		defer cancel()
		opts := client.NewRouteListOptions()
		opts.AppGUIDs.EqualTo(appB)

		routes, err := c.Routes.ListAll(ctx, opts)

		Expect(err).NotTo(HaveOccurred())
		Expect(routes).To(HaveLen(1))
		Expect(routes[0].GUID).To(Equal(routeTwo))
		Expect(s.cc.Listings("/v3/routes")).To(Equal(0))
		Expect(s.cc.Requests("/v3/routes")).To(Equal(1))
	})

	It("filters routes by GUID, with their domains", func() {
		status, body := s.do("GET", "/v3/routes?guids="+routeTwo+",no-such-route&include=domain", s.token(), "")

		Expect(status).To(Equal(200))
		Expect(body["resources"]).To(HaveLen(1))
		Expect(body["resources"].([]any)[0]).To(HaveKeyWithValue("guid", routeTwo))
		Expect(body["included"]).To(HaveKeyWithValue("domains", HaveLen(1)))
	})

	It("filters processes by app", func() {
		web := s.cc.AddProcess(appA, "web")
		s.cc.AddProcess(appB, "web")
		worker := s.cc.AddProcess(appA, "worker")
		ctx, cancel := testContext()
		defer cancel()
		opts := client.NewProcessOptions()
		opts.AppGUIDs.EqualTo(appA)

		processes, err := c.Processes.ListAll(ctx, opts)

		Expect(err).NotTo(HaveOccurred())
		Expect(processes).To(HaveLen(2))
		Expect(processes[0].GUID).To(Equal(web))
		Expect(processes[1].GUID).To(Equal(worker))
		Expect(processes[0].Links["space"].Href).To(HaveSuffix("/v3/spaces/" + space))
	})
})
