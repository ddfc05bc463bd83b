package cloudcontroller_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
)

func weights(ws ...int) []*int {
	out := make([]*int, len(ws))
	for i, w := range ws {
		if w >= 0 {
			out[i] = &ws[i]
		}
	}
	return out
}

var _ = Describe("ValidateWeights", func() {
	DescribeTable("accepts what Cloud Controller accepts",
		func(ws []*int) {
			Expect(cloudcontroller.ValidateWeights(ws)).To(Succeed())
		},
		Entry("no destinations", weights()),
		Entry("unweighted destinations", weights(-1, -1, -1)),
		Entry("one destination weighted 100", weights(100)),
		Entry("80/20", weights(80, 20)),
		Entry("1/99", weights(1, 99)),
		Entry("four equal quarters", weights(25, 25, 25, 25)),
	)

	DescribeTable("rejects what Cloud Controller rejects, naming the problem",
		func(ws []*int, message string) {
			Expect(cloudcontroller.ValidateWeights(ws)).To(MatchError(message))
		},
		Entry("weights not summing to 100", weights(80, 10), "weights sum to 90, must sum to 100"),
		Entry("weights above 100 in total", weights(60, 60), "weights sum to 120, must sum to 100"),
		Entry("a zero weight", weights(100, 0), "destinations[1] has weight 0, must be between 1 and 100"),
		Entry("a weight above 100", weights(101), "destinations[0] has weight 101, must be between 1 and 100"),
		Entry("a negative weight", []*int{ptr(-5), ptr(105)}, "destinations[0] has weight -5, must be between 1 and 100"),
		Entry("weighted and unweighted mixed", weights(-1, 100), "destinations[1] has a weight but destinations[0] has none: weights are all-or-none"),
	)
})

func ptr[T any](v T) *T { return &v }
