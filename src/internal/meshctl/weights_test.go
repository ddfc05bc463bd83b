package meshctl_test

import (
	"bytes"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/meshctl"
)

func w(n int) *int { return &n }

var checkoutRoute = meshctl.Route{GUID: "5d3b8a2e-0c4f-4b5e-9f1a-7e2d6c8b9a01", URL: "checkout.apps.example.com/v2"}

// canary is a route with a stable app and a canary, weighted 90/10.
func canary() []meshctl.Destination {
	return []meshctl.Destination{
		{GUID: "d-1", AppGUID: "app-v1", AppName: "checkout-v1", ProcessType: "web", Port: 8080, Protocol: "http1", Weight: w(90)},
		{GUID: "d-2", AppGUID: "app-v2", AppName: "checkout-v2", ProcessType: "web", Port: 8080, Protocol: "http1", Weight: w(10)},
	}
}

func unweighted(ds []meshctl.Destination) []meshctl.Destination {
	out := append([]meshctl.Destination(nil), ds...)
	for i := range out {
		out[i].Weight = nil
	}
	return out
}

func assign(guid, name string, weight int) meshctl.Assignment {
	return meshctl.Assignment{AppGUID: guid, AppName: name, Weight: weight}
}

var _ = Describe("ParseWeightArg", func() {
	DescribeTable("reads APP[:PROCESS_TYPE]=WEIGHT",
		func(arg string, want meshctl.WeightArg) {
			got, err := meshctl.ParseWeightArg(arg)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal(want))
		},
		Entry("an app name", "checkout-v1=90", meshctl.WeightArg{Selector: "checkout-v1", App: "checkout-v1", Weight: 90}),
		Entry("a process type", "checkout:worker=10", meshctl.WeightArg{Selector: "checkout:worker", App: "checkout", ProcessType: "worker", Weight: 10}),
		Entry("an app name with = in it", "a=b=100", meshctl.WeightArg{Selector: "a=b", App: "a=b", Weight: 100}),
		Entry("0, which unmaps", "old=0", meshctl.WeightArg{Selector: "old", App: "old", Weight: 0}),
		Entry("a trailing colon is part of the name", "odd:=5", meshctl.WeightArg{Selector: "odd:", App: "odd:", Weight: 5}),
	)

	DescribeTable("names what is wrong",
		func(arg, reason string) {
			_, err := meshctl.ParseWeightArg(arg)
			Expect(err).To(MatchError(reason))
		},
		Entry("no weight", "checkout", `"checkout" is not APP=WEIGHT`),
		Entry("no app", "=50", `"=50" is not APP=WEIGHT`),
		Entry("a fraction", "a=50.5", `weight "50.5" of a is not a whole number from 1 to 100 (0 unmaps the app)`),
		Entry("a negative weight", "a=-5", `weight "-5" of a is not a whole number from 1 to 100 (0 unmaps the app)`),
		Entry("a percent sign", "a=50%", `weight "50%" of a is not a whole number from 1 to 100 (0 unmaps the app)`),
		Entry("above 100", "a=101", "weight 101 of a is above 100"),
		Entry("empty", "a=", `weight "" of a is not a whole number from 1 to 100 (0 unmaps the app)`),
	)
})

var _ = Describe("PlanWeights", func() {
	It("changes the weights of every destination and keeps port and protocol", func() {
		p, err := meshctl.PlanWeights(checkoutRoute, canary(), []meshctl.Assignment{assign("app-v2", "checkout-v2", 50), assign("app-v1", "checkout-v1", 50)})
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Before).To(Equal(canary()))
		want := canary()
		want[0].Weight, want[1].Weight = w(50), w(50)
		Expect(p.After).To(Equal(want))
		Expect(p.Added).To(BeEmpty())
		Expect(p.Removed).To(BeEmpty())
	})

	It("weights an unweighted route", func() {
		p, err := meshctl.PlanWeights(checkoutRoute, unweighted(canary()), []meshctl.Assignment{assign("app-v1", "checkout-v1", 95), assign("app-v2", "checkout-v2", 5)})
		Expect(err).NotTo(HaveOccurred())
		Expect(meshctl.Weighted(p.Before)).To(BeFalse())
		Expect(*p.After[0].Weight + *p.After[1].Weight).To(Equal(100))
	})

	It("maps a new app as its web process and unmaps one given 0", func() {
		p, err := meshctl.PlanWeights(checkoutRoute, canary(), []meshctl.Assignment{
			assign("app-v1", "checkout-v1", 0), assign("app-v2", "checkout-v2", 70), assign("app-v3", "checkout-v3", 30),
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Removed).To(Equal([]int{0}))
		Expect(p.Added).To(Equal([]int{1}))
		Expect(p.After).To(Equal([]meshctl.Destination{
			{GUID: "d-2", AppGUID: "app-v2", AppName: "checkout-v2", ProcessType: "web", Port: 8080, Protocol: "http1", Weight: w(70)},
			{AppGUID: "app-v3", AppName: "checkout-v3", ProcessType: "web", Weight: w(30)},
		}))
	})

	It("tells apart an app's process types", func() {
		current := []meshctl.Destination{
			{AppGUID: "app-shop", AppName: "shop", ProcessType: "web", Port: 8080},
			{AppGUID: "app-shop", AppName: "shop", ProcessType: "api", Port: 9090},
		}
		p, err := meshctl.PlanWeights(checkoutRoute, current, []meshctl.Assignment{
			{AppGUID: "app-shop", AppName: "shop", ProcessType: "api", Weight: 25},
			{AppGUID: "app-shop", AppName: "shop", ProcessType: "web", Weight: 75},
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(*p.After[0].Weight).To(Equal(75))
		Expect(*p.After[1].Weight).To(Equal(25))
	})

	DescribeTable("refuses what Cloud Controller would refuse, or what would lose a destination, naming it",
		func(current []meshctl.Destination, assignments []meshctl.Assignment, reason string) {
			_, err := meshctl.PlanWeights(checkoutRoute, current, assignments)
			Expect(err).To(MatchError(reason))
		},
		Entry("nothing given", canary(), nil,
			"no weights given: set takes APP=WEIGHT for every destination of the route"),
		Entry("a destination left out", canary(), []meshctl.Assignment{assign("app-v1", "checkout-v1", 100)},
			"every destination of checkout.apps.example.com/v2 needs a weight (0 unmaps it); missing: checkout-v2 (web, port 8080)"),
		Entry("a sum below 100", canary(), []meshctl.Assignment{assign("app-v1", "checkout-v1", 80), assign("app-v2", "checkout-v2", 10)},
			"the weights sum to 90; Cloud Controller needs them to sum to 100"),
		Entry("a sum above 100", canary(), []meshctl.Assignment{assign("app-v1", "checkout-v1", 100), assign("app-v2", "checkout-v2", 10)},
			"the weights sum to 110; Cloud Controller needs them to sum to 100"),
		Entry("an app twice", canary(), []meshctl.Assignment{assign("app-v1", "checkout-v1", 50), assign("app-v1", "checkout-v1", 50)},
			"checkout-v1 (web, port 8080) is given a weight twice"),
		Entry("a new app twice", canary(), []meshctl.Assignment{assign("app-v1", "", 40), assign("app-v2", "", 20), assign("app-v3", "v3", 20), assign("app-v3", "v3", 20)},
			"v3 (web) is given a weight twice"),
		Entry("every destination unmapped", canary(), []meshctl.Assignment{assign("app-v1", "checkout-v1", 0), assign("app-v2", "checkout-v2", 0)},
			"every destination of checkout.apps.example.com/v2 would be unmapped: at least one needs a weight from 1 to 100"),
		Entry("0 for an app that is not mapped", canary(), []meshctl.Assignment{assign("app-v1", "checkout-v1", 50), assign("app-v2", "checkout-v2", 50), assign("app-v9", "checkout-v9", 0)},
			"app checkout-v9 is not mapped to checkout.apps.example.com/v2: weight 0 has nothing to unmap"),
		Entry("an app with two process types, none named",
			[]meshctl.Destination{{AppGUID: "app-shop", AppName: "shop", ProcessType: "web", Port: 8080}, {AppGUID: "app-shop", AppName: "shop", ProcessType: "api", Port: 9090}},
			[]meshctl.Assignment{assign("app-shop", "shop", 100)},
			"app shop has 2 destinations on checkout.apps.example.com/v2 (shop (web, port 8080), shop (api, port 9090)): name one as shop:PROCESS_TYPE=WEIGHT"),
		Entry("an app process on two ports",
			[]meshctl.Destination{{AppGUID: "app-shop", AppName: "shop", ProcessType: "web", Port: 8080}, {AppGUID: "app-shop", AppName: "shop", ProcessType: "web", Port: 9090}},
			[]meshctl.Assignment{{AppGUID: "app-shop", AppName: "shop", ProcessType: "web", Weight: 100}},
			"app shop (web) has 2 destinations of process type web on checkout.apps.example.com/v2 (one per port): meshctl cannot tell them apart; use `cf curl -X PATCH /v3/routes/5d3b8a2e-0c4f-4b5e-9f1a-7e2d6c8b9a01/destinations`"),
	)
})

var _ = Describe("PlanReset", func() {
	It("drops every weight and keeps every destination as it is", func() {
		p, err := meshctl.PlanReset(checkoutRoute, canary())
		Expect(err).NotTo(HaveOccurred())
		Expect(p.After).To(Equal(unweighted(canary())))
		Expect(meshctl.CheckWeights(p.After)).To(Succeed())
	})

	It("has nothing to reset on a route without destinations", func() {
		_, err := meshctl.PlanReset(checkoutRoute, nil)
		Expect(err).To(MatchError("checkout.apps.example.com/v2 has no destinations: nothing to reset"))
	})
})

var _ = Describe("CheckWeights", func() {
	DescribeTable("applies Cloud Controller's rules",
		func(ds []meshctl.Destination, reason string) {
			err := meshctl.CheckWeights(ds)
			if reason == "" {
				Expect(err).NotTo(HaveOccurred())
				return
			}
			Expect(err).To(MatchError(reason))
		},
		Entry("none weighted", unweighted(canary()), ""),
		Entry("all weighted, summing to 100", canary(), ""),
		Entry("one weighted, 100", canary()[:1:1], "the weights sum to 90; Cloud Controller needs them to sum to 100"),
		Entry("mixed", append(canary()[:1:1], unweighted(canary())[1]), "either every destination of a route has a weight or none has (Cloud Controller's rule)"),
		Entry("a weight of 0", []meshctl.Destination{{AppGUID: "a", ProcessType: "web", Weight: w(0)}, {AppGUID: "b", ProcessType: "web", Weight: w(100)}}, "weight 0 of a (web) is outside 1..100"),
	)
})

var _ = Describe("Shares", func() {
	It("splits an unweighted route equally and a weighted one by its weights", func() {
		three := append(unweighted(canary()), meshctl.Destination{AppGUID: "c"})
		Expect(meshctl.Shares(three)).To(HaveEach(BeNumerically("~", 33.33, 0.01)))
		Expect(meshctl.Shares(canary())).To(Equal([]float64{90, 10}))
	})
})

var _ = Describe("rendering", func() {
	It("shows a route's weights and what they mean for cf map-route", func() {
		var b bytes.Buffer
		Expect(meshctl.RenderWeights(&b, checkoutRoute, canary())).To(Succeed())
		b.WriteString("---\n")
		Expect(meshctl.RenderWeights(&b, checkoutRoute, append(unweighted(canary()), meshctl.Destination{AppGUID: "app-other-space", ProcessType: "web", Port: 8080, Protocol: "http2"}))).To(Succeed())
		expectGolden("weights-get.txt", b.String())
	})

	It("shows the split a change gives before it is applied", func() {
		p, err := meshctl.PlanWeights(checkoutRoute, append(unweighted(canary()), meshctl.Destination{AppGUID: "app-v0", AppName: "checkout-v0", ProcessType: "web", Port: 8080}),
			[]meshctl.Assignment{assign("app-v0", "checkout-v0", 0), assign("app-v1", "checkout-v1", 60), assign("app-v2", "checkout-v2", 35), assign("app-v3", "checkout-v3", 5)})
		Expect(err).NotTo(HaveOccurred())
		var b bytes.Buffer
		Expect(meshctl.RenderPlan(&b, p)).To(Succeed())
		b.WriteString("---\n")
		reset, err := meshctl.PlanReset(checkoutRoute, canary())
		Expect(err).NotTo(HaveOccurred())
		Expect(meshctl.RenderPlan(&b, reset)).To(Succeed())
		expectGolden("weights-plan.txt", b.String())
	})
})
