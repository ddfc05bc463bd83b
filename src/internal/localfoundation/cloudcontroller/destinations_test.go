package cloudcontroller_test

import (
	"errors"
	"net/http"

	"github.com/cloudfoundry/go-cfclient/v3/resource"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
)

var _ = Describe("route destinations", func() {
	var (
		s                *standIn
		routeGUID        string
		appA, appB, appC string
	)

	BeforeEach(func() {
		s = startStandIn(cloudcontroller.Options{})
		DeferCleanup(s.Close)
		routeGUID = s.cc.AddRoute("app", s.cc.AddDomain("apps.example.com", false), "")
		appA, appB, appC = s.cc.AddApp("a"), s.cc.AddApp("b"), s.cc.AddApp("c")
	})

	replace := func(dests ...*resource.RouteDestinationInsertOrReplace) error {
		ctx, cancel := testContext()
		defer cancel()
		_, err := s.goodClient().Routes.ReplaceDestinations(ctx, routeGUID, dests)
		return err
	}

	insert := func(dests ...*resource.RouteDestinationInsertOrReplace) error {
		ctx, cancel := testContext()
		defer cancel()
		_, err := s.goodClient().Routes.InsertDestinations(ctx, routeGUID, dests)
		return err
	}

	expectUnprocessable := func(err error, detail string) {
		var cfErr resource.CloudFoundryError
		ExpectWithOffset(1, errors.As(err, &cfErr)).To(BeTrue(), "got %v", err)
		ExpectWithOffset(1, cfErr).To(Equal(resource.CloudFoundryError{Code: 10008, Title: "CF-UnprocessableEntity", Detail: detail}))
	}

	weightsOf := func() []*int {
		var out []*int
		for _, d := range routesOf(s)[0].Destinations {
			out = append(out, d.Weight)
		}
		return out
	}

	DescribeTable("PATCH accepts valid destination sets",
		func(build func() []*resource.RouteDestinationInsertOrReplace, want []*int) {
			Expect(replace(build()...)).To(Succeed())
			Expect(weightsOf()).To(Equal(want))
		},
		Entry("two unweighted", func() []*resource.RouteDestinationInsertOrReplace {
			return []*resource.RouteDestinationInsertOrReplace{
				resource.NewRouteDestinationInsertOrReplace(appA), resource.NewRouteDestinationInsertOrReplace(appB),
			}
		}, []*int{nil, nil}),
		Entry("80/20", func() []*resource.RouteDestinationInsertOrReplace {
			return []*resource.RouteDestinationInsertOrReplace{
				resource.NewRouteDestinationInsertOrReplace(appA).WithWeight(80), resource.NewRouteDestinationInsertOrReplace(appB).WithWeight(20),
			}
		}, []*int{ptr(80), ptr(20)}),
		Entry("one at 100", func() []*resource.RouteDestinationInsertOrReplace {
			return []*resource.RouteDestinationInsertOrReplace{resource.NewRouteDestinationInsertOrReplace(appA).WithWeight(100)}
		}, []*int{ptr(100)}),
		Entry("34/33/33 with ports and a process type", func() []*resource.RouteDestinationInsertOrReplace {
			return []*resource.RouteDestinationInsertOrReplace{
				resource.NewRouteDestinationInsertOrReplace(appA).WithWeight(34).WithPort(9000),
				resource.NewRouteDestinationInsertOrReplace(appB).WithWeight(33).WithProcessType("api"),
				resource.NewRouteDestinationInsertOrReplace(appC).WithWeight(33).WithProtocol("http2"),
			}
		}, []*int{ptr(34), ptr(33), ptr(33)}),
		Entry("none (unmap everything)", func() []*resource.RouteDestinationInsertOrReplace {
			return []*resource.RouteDestinationInsertOrReplace{}
		}, nil),
	)

	DescribeTable("PATCH rejects what Cloud Controller rejects, with 422 and its message",
		func(build func() []*resource.RouteDestinationInsertOrReplace, detail string) {
			Expect(replace(resource.NewRouteDestinationInsertOrReplace(appC))).To(Succeed())

			expectUnprocessable(replace(build()...), detail)

			Expect(weightsOf()).To(Equal([]*int{nil}), "a rejected PATCH changes nothing")
		},
		Entry("weights summing to 90", func() []*resource.RouteDestinationInsertOrReplace {
			return []*resource.RouteDestinationInsertOrReplace{
				resource.NewRouteDestinationInsertOrReplace(appA).WithWeight(60), resource.NewRouteDestinationInsertOrReplace(appB).WithWeight(30),
			}
		}, "Destinations must have weights that sum to 100."),
		Entry("weighted and unweighted", func() []*resource.RouteDestinationInsertOrReplace {
			return []*resource.RouteDestinationInsertOrReplace{
				resource.NewRouteDestinationInsertOrReplace(appA).WithWeight(100), resource.NewRouteDestinationInsertOrReplace(appB),
			}
		}, "Destinations cannot contain both weighted and unweighted destinations."),
		Entry("a weight of 101", func() []*resource.RouteDestinationInsertOrReplace {
			return []*resource.RouteDestinationInsertOrReplace{resource.NewRouteDestinationInsertOrReplace(appA).WithWeight(101)}
		}, "Destinations[0]: weight must be a positive integer between 1 and 100."),
		Entry("a negative weight", func() []*resource.RouteDestinationInsertOrReplace {
			return []*resource.RouteDestinationInsertOrReplace{
				resource.NewRouteDestinationInsertOrReplace(appA).WithWeight(101), resource.NewRouteDestinationInsertOrReplace(appB).WithWeight(-1),
			}
		}, "Destinations[0]: weight must be a positive integer between 1 and 100., Destinations[1]: weight must be a positive integer between 1 and 100."),
		Entry("a port below 1024", func() []*resource.RouteDestinationInsertOrReplace {
			return []*resource.RouteDestinationInsertOrReplace{resource.NewRouteDestinationInsertOrReplace(appA).WithPort(80)}
		}, "Destinations[0]: port must be a positive integer between 1024 and 65535 inclusive."),
		Entry("an unknown protocol", func() []*resource.RouteDestinationInsertOrReplace {
			return []*resource.RouteDestinationInsertOrReplace{resource.NewRouteDestinationInsertOrReplace(appA).WithProtocol("tcp")}
		}, "Destinations[0]: protocol must be 'http1' or 'http2'."),
		Entry("an app that does not exist", func() []*resource.RouteDestinationInsertOrReplace {
			return []*resource.RouteDestinationInsertOrReplace{resource.NewRouteDestinationInsertOrReplace("no-such-app")}
		}, `App(s) with guid(s) "no-such-app" do not exist or you do not have access.`),
		Entry("a duplicate", func() []*resource.RouteDestinationInsertOrReplace {
			return []*resource.RouteDestinationInsertOrReplace{
				resource.NewRouteDestinationInsertOrReplace(appA), resource.NewRouteDestinationInsertOrReplace(appA),
			}
		}, "Destinations cannot contain duplicate entries"),
	)

	DescribeTable("PATCH rejects malformed bodies in Cloud Controller's words",
		func(body string, status int, detail string) {
			code, resp := s.do(http.MethodPatch, "/v3/routes/"+routeGUID+"/destinations", s.token(), body)

			Expect(code).To(Equal(status))
			Expect(firstError(resp)).To(HaveKeyWithValue("detail", detail))
		},
		Entry("not JSON", `{"destinations": [`, 400, "Request invalid due to parse error: invalid request body"),
		Entry("no destinations", `{}`, 422, "Destinations must be an array containing between 0 and 100 destination objects."),
		Entry("destinations not a list", `{"destinations": {}}`, 422, "Destinations must be an array containing between 0 and 100 destination objects."),
		Entry("an unknown top-level field", `{"destinations": [], "weights": 1}`, 422, "Unknown field(s): 'weights'"),
		Entry("a destination that is not an object", `{"destinations": [7]}`, 422, "Destinations[0]: must be an object."),
		Entry("a destination without an app", `{"destinations": [{"weight": 100}]}`, 422, `Destinations[0]: must have an "app".`),
		Entry("an app without a guid", `{"destinations": [{"app": {}}]}`, 422, `Destinations[0]: app must have the structure {"guid": "app_guid"}`),
		Entry("an app guid that is a number", `{"destinations": [{"app": {"guid": 5}}]}`, 422, `Destinations[0]: app must have the structure {"guid": "app_guid"}`),
		Entry("an empty process type", `{"destinations": [{"app": {"guid": "x", "process": {"type": ""}}}]}`, 422, `Destinations[0]: process must have the structure {"type": "process_type"}`),
		Entry("an unknown destination field", `{"destinations": [{"app": {"guid": "x"}, "route": 1}]}`, 422, `Destinations[0]: must have only "app" and optionally "weight", "port" and "protocol".`),
		Entry("a fractional weight", `{"destinations": [{"app": {"guid": "x"}, "weight": 50.5}, {"app": {"guid": "y"}, "weight": 49.5}]}`, 422,
			"Destinations[0]: weight must be a positive integer between 1 and 100., Destinations[1]: weight must be a positive integer between 1 and 100."),
		Entry("a weight that is a string", `{"destinations": [{"app": {"guid": "x"}, "weight": "100"}]}`, 422, "Destinations[0]: weight must be a positive integer between 1 and 100."),
	)

	It("PATCH on an unknown route answers 404", func() {
		code, resp := s.do(http.MethodPatch, "/v3/routes/nope/destinations", s.token(), `{"destinations": []}`)
		Expect(code).To(Equal(http.StatusNotFound))
		Expect(firstError(resp)).To(HaveKeyWithValue("title", "CF-ResourceNotFound"))
	})

	It("keeps a destination's GUID when a PATCH keeps the mapping", func() {
		Expect(replace(resource.NewRouteDestinationInsertOrReplace(appA))).To(Succeed())
		before := routesOf(s)[0].Destinations[0].GUID

		Expect(replace(resource.NewRouteDestinationInsertOrReplace(appA), resource.NewRouteDestinationInsertOrReplace(appB))).To(Succeed())

		after := routesOf(s)[0].Destinations
		Expect(after[0].GUID).To(Equal(before))
		Expect(*after[1].GUID).NotTo(Equal(*before))
	})

	It("POST inserts unweighted destinations after the existing ones", func() {
		Expect(insert(resource.NewRouteDestinationInsertOrReplace(appA))).To(Succeed())
		Expect(insert(resource.NewRouteDestinationInsertOrReplace(appB), resource.NewRouteDestinationInsertOrReplace(appA))).To(Succeed())

		ctx, cancel := testContext()
		defer cancel()
		got, err := s.goodClient().Routes.GetDestinations(ctx, routeGUID)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Destinations).To(HaveLen(2))
		Expect(*got.Destinations[0].App.GUID).To(Equal(appA))
		Expect(*got.Destinations[1].App.GUID).To(Equal(appB))
		Expect(got.Links).To(HaveKey("route"))
	})

	It("POST refuses weighted destinations", func() {
		expectUnprocessable(insert(resource.NewRouteDestinationInsertOrReplace(appA).WithWeight(100)),
			"Destinations[0]: weighted destinations can only be used when replacing all destinations.")
	})

	It("POST refuses an empty list", func() {
		expectUnprocessable(insert(), "Destinations must be an array containing between 1 and 100 destination objects.")
	})

	It("POST fails on a route that has weighted destinations", func() {
		Expect(replace(resource.NewRouteDestinationInsertOrReplace(appA).WithWeight(100))).To(Succeed())

		expectUnprocessable(insert(resource.NewRouteDestinationInsertOrReplace(appB)),
			"Destinations cannot be inserted when there are weighted destinations already configured.")
	})

	Describe("the Go API", func() {
		It("applies the same rules as PATCH", func() {
			err := s.cc.ReplaceDestinations(routeGUID, []cloudcontroller.Destination{
				{AppGUID: appA, Weight: ptr(50)}, {AppGUID: appB, Weight: ptr(40)},
			})

			var apiErr *cloudcontroller.APIError
			Expect(errors.As(err, &apiErr)).To(BeTrue())
			Expect(apiErr.Status).To(Equal(http.StatusUnprocessableEntity))
			Expect(apiErr.Detail).To(Equal("Destinations must have weights that sum to 100."))
		})

		It("reports an unknown route", func() {
			err := s.cc.ReplaceDestinations("nope", nil)
			var apiErr *cloudcontroller.APIError
			Expect(errors.As(err, &apiErr)).To(BeTrue())
			Expect(apiErr.Status).To(Equal(http.StatusNotFound))
			Expect(s.cc.SetRouteOptions("nope", "hash")).To(MatchError(ContainSubstring("Route not found")))
		})

		It("inserts like POST", func() {
			Expect(s.cc.InsertDestinations(routeGUID, []cloudcontroller.Destination{{AppGUID: appA}})).To(Succeed())
			Expect(s.cc.InsertDestinations(routeGUID, []cloudcontroller.Destination{{AppGUID: appB, Weight: ptr(100)}})).
				To(MatchError(ContainSubstring("weighted destinations can only be used when replacing all destinations")))
			Expect(routesOf(s)[0].Destinations).To(HaveLen(1))
		})
	})
})
