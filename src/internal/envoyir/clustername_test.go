package envoyir_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

var _ = Describe("ParseClusterName", func() {
	DescribeTable("splits what ClusterName made",
		func(port uint32, subset, host string) {
			gotPort, gotSubset, gotHost, ok := envoyir.ParseClusterName(envoyir.ClusterName(port, subset, host))
			Expect(ok).To(BeTrue())
			Expect([]any{gotPort, gotSubset, gotHost}).To(Equal([]any{port, subset, host}))
		},
		Entry("with a subset", uint32(8080), "proc-web", "billing.apps.internal"),
		Entry("without one", uint32(443), "", "3.billing.apps.internal"),
	)

	DescribeTable("refuses any other name",
		func(name string) {
			_, _, _, ok := envoyir.ParseClusterName(name)
			Expect(ok).To(BeFalse())
		},
		Entry("inbound", "inbound|8080||"),
		Entry("no host", "outbound|8080|proc|"),
		Entry("a port that is not a number", "outbound|http|proc|billing.apps.internal"),
		Entry("a port past 32 bits", "outbound|4294967296||billing.apps.internal"),
		Entry("a port with a leading zero", "outbound|08080||billing.apps.internal"),
		Entry("one field too many", "outbound|8080|proc|billing|apps"),
		Entry("one too few", "outbound|8080|billing.apps.internal"),
		Entry("empty", ""),
	)
})
