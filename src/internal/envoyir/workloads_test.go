package envoyir_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

var _ = Describe("Workloads.AppOf", func() {
	w := envoyir.Workloads{
		ByInstance:    map[string]string{"inst-a": "app-a", "inst-b": "app-b"},
		ByContainerIP: map[string]string{"10.255.0.1": "app-a", "10.255.0.2": "app-b"},
	}

	DescribeTable("finds a sidecar's app from its instance GUID and container IP",
		func(instance, ip, wantApp string, wantOK bool) {
			app, ok := w.AppOf(instance, ip)
			Expect(ok).To(Equal(wantOK))
			if ok {
				Expect(app).To(Equal(wantApp))
			}
		},
		Entry("both known and agreeing", "inst-a", "10.255.0.1", "app-a", true),
		Entry("only the instance known (no internal route)", "inst-a", "10.255.9.9", "app-a", true),
		Entry("only the container IP known (no external route)", "inst-x", "10.255.0.2", "app-b", true),
		Entry("both known, disagreeing: a spoofed instance GUID", "inst-b", "10.255.0.1", "", false),
		Entry("neither known", "inst-x", "10.255.9.9", "", false),
	)
})
