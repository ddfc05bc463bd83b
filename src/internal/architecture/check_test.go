package architecture_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/architecture"
)

func rules(vs []architecture.Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.String())
	}
	return out
}

var _ = Describe("cf-mesh's own packages", func() {
	It("keep the data flow one way, the sides apart and pure stages pure", func() {
		violations, err := architecture.Check("../..", "code.cloudfoundry.org/cf-mesh", architecture.Layers)
		Expect(err).NotTo(HaveOccurred())
		Expect(rules(violations)).To(BeEmpty())
	})
})

var _ = Describe("Check", func() {
	It("catches every kind of violation in a tree that breaks the rules", func() {
		violations, err := architecture.Check("testdata/violating", "example.test/flow", architecture.Layers)
		Expect(err).NotTo(HaveOccurred())
		const dir = "testdata/violating/internal/"
		Expect(rules(violations)).To(ConsistOf(
			dir+"envoyir/crossing.go: pilot-side internal/envoyir imports copilot-side internal/meshconfig",
			dir+"mesh/shared.go: shared package internal/mesh imports pilot-side internal/envoyir",
			dir+"mesh/shared.go: internal/mesh (stage 3) imports later stage internal/envoyir (stage 5) against the data flow",
			dir+"meshconfig/ok.go: pure package reads the clock (time.Sleep) at line 10",
			dir+"newstage/new.go: package internal/newstage is not classified in architecture.Layers",
			dir+"routingtable/upstream.go: pipeline package internal/routingtable imports harness package internal/localfoundation/backend",
			dir+"routingtable/upstream.go: internal/routingtable (stage 2) imports later stage internal/meshconfig (stage 3) against the data flow",
			dir+"routingtable/upstream.go: copilot-side internal/routingtable imports pilot-side internal/xdsserver",
			dir+"routingtable/upstream.go: internal/routingtable (stage 2) imports later stage internal/xdsserver (stage 7) against the data flow",
			dir+"routingtable/upstream.go: pure package internal/routingtable imports runner internal/xdsserver",
			dir+"routingtable/upstream.go: pure package internal/routingtable imports net/http",
			dir+"routingtable/upstream.go: pure package reads the clock (time.Now) at line 18",
			dir+"routingtable/upstream.go: pure package starts a goroutine at line 18",
		))
	})
})
