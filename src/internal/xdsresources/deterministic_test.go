package xdsresources_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

var _ = Describe("Translate", func() {
	It("gives byte-identical resources for the same IR, so nothing unchanged is pushed again", func() {
		ir := loadIR("testdata/in/route-policy.yaml")
		opts := loadOptions("testdata/in/route-policy.yaml")
		first, _ := xdsresources.Translate(ir, opts)
		for range 10 {
			again, _ := xdsresources.Translate(ir, opts)
			for name, l := range first.GatewayListeners {
				a, err := proto.MarshalOptions{Deterministic: true}.Marshal(l)
				Expect(err).NotTo(HaveOccurred())
				b, err := proto.MarshalOptions{Deterministic: true}.Marshal(again.GatewayListeners[name])
				Expect(err).NotTo(HaveOccurred())
				Expect(a).To(Equal(b), name)
			}
			for name, rc := range first.Routes {
				Expect(proto.Equal(rc, again.Routes[name])).To(BeTrue(), name)
			}
		}
	})
})
