package cloudcontroller_test

import (
	"github.com/cloudfoundry/go-cfclient/v3/resource"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
)

func hostsOf(v *cloudcontroller.View) []string {
	out, errs := v.Translate()
	ExpectWithOffset(1, errs).To(BeEmpty())
	var hosts []string
	for _, r := range out.Routes {
		hosts = append(hosts, r.Host)
	}
	return hosts
}

var _ = Describe("View", func() {
	var v *cloudcontroller.View

	BeforeEach(func() {
		v = cloudcontroller.NewView(cloudcontroller.Foundation{
			Routes: []*resource.Route{
				inSpace(route("r1", "one", "dom-apps", "", dest("app-a")), "space-1"),
				inSpace(route("r2", "two", "dom-apps", "", dest("app-b")), "space-2"),
				nil,
			},
			Domains:   domains,
			Processes: []*resource.Process{process("p-a", "app-a", "web"), process("p-a2", "app-a", "worker"), process("p-b", "app-b", "web")},
			Apps:      []*resource.App{app("app-a", "STARTED"), app("app-b", "STARTED")},
			Spaces:    []*resource.Space{space("space-1", "org-1"), space("space-2", "org-2")},
		})
	})

	It("translates like Translate, with resources sorted by GUID", func() {
		f := v.Foundation()
		Expect(f.Routes).To(HaveLen(2))
		Expect(f.Routes[0].GUID).To(Equal("r1"))
		Expect(f.Processes[2].GUID).To(Equal("p-b"))
		Expect(hostsOf(v)).To(Equal([]string{"one.apps.example.com", "two.apps.example.com"}))
		routes, apps, processes := v.Size()
		Expect([]int{routes, apps, processes}).To(Equal([]int{2, 2, 3}))
	})

	It("replaces, adds and deletes re-read routes", func() {
		v.Apply(cloudcontroller.Delta{
			RouteGUIDs: []string{"r1", "r2", "r3"},
			Routes:     []*resource.Route{route("r2", "two-renamed", "dom-new", ""), route("r3", "three", "dom-apps", ""), nil},
			Domains:    []*resource.Domain{domain("dom-new", "new.example.com", false), nil},
		})

		Expect(hostsOf(v)).To(Equal([]string{"three.apps.example.com", "two-renamed.new.example.com"}))
	})

	It("replaces re-read apps and exactly their processes", func() {
		v.Apply(cloudcontroller.Delta{
			AppGUIDs:  []string{"app-a", "app-gone"},
			Apps:      []*resource.App{app("app-a", "STOPPED"), nil},
			Processes: []*resource.Process{process("p-a3", "app-a", "web"), nil},
		})

		Expect(v.HasApp("app-a")).To(BeTrue())
		out, _ := v.Translate()
		Expect(out.Routes[0].Destinations).To(BeEmpty(), "app-a is stopped now")
		f := v.Foundation()
		var guids []string
		for _, p := range f.Processes {
			guids = append(guids, p.GUID)
		}
		Expect(guids).To(Equal([]string{"p-a3", "p-b"}))

		v.Apply(cloudcontroller.Delta{AppGUIDs: []string{"app-b"}})
		Expect(v.HasApp("app-b")).To(BeFalse())
	})

	It("adds spaces", func() {
		v.Apply(cloudcontroller.Delta{
			RouteGUIDs: []string{"r9"},
			Routes:     []*resource.Route{inSpace(route("r9", "nine", "dom-apps", ""), "space-9")},
			Spaces:     []*resource.Space{space("space-9", "org-9"), nil},
		})
		Expect(v.RoutesInOrganization("org-9")).To(Equal([]string{"r9"}))
	})

	It("finds routes by space and organization", func() {
		Expect(v.RoutesInSpace("space-1")).To(Equal([]string{"r1"}))
		Expect(v.RoutesInOrganization("org-2")).To(Equal([]string{"r2"}))
		Expect(v.RoutesInSpace("space-x")).To(BeEmpty())
	})

	It("names the apps and spaces routes refer to that it does not know", func() {
		routes := []*resource.Route{
			inSpace(route("r5", "x", "dom-apps", "", dest("app-a"), dest("app-new"), dest("app-fetched")), "space-new"),
			inSpace(route("r6", "y", "dom-apps", "", dest("app-new"), resource.RouteDestination{}), "space-1"),
			nil,
		}

		apps, spaces := v.Unknown(routes, []*resource.App{app("app-fetched", "STARTED"), nil})

		Expect(apps).To(Equal([]string{"app-new"}))
		Expect(spaces).To(Equal([]string{"space-new"}))
	})
})
