package xdsresources_test

import (
	"fmt"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/testsupport/golden"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

var _ = Describe("Translator.Checkpoint (ADR 20, third amendment)", func() {
	It("is called before every resource is looked up or built, and changes nothing", func() {
		inputs, err := golden.Inputs("testdata/in/*.yaml")
		Expect(err).NotTo(HaveOccurred())
		for _, input := range inputs {
			if strings.HasSuffix(input, ".options.yaml") || strings.HasSuffix(input, ".nodes.yaml") {
				continue
			}
			opts := loadOptions(input)
			want, wantErrs := xdsresources.Translate(loadIR(input), opts)
			translator, calls := xdsresources.NewTranslator(opts), 0
			translator.Checkpoint = func() { calls++ }
			got, gotErrs := translator.Translate(loadIR(input))
			Expect(render(got)).To(Equal(render(want)), filepath.Base(input))
			Expect(fmt.Sprint(gotErrs)).To(Equal(fmt.Sprint(wantErrs)))
			built := len(got.GatewayListeners) + len(got.GatewayClusters) + len(got.MeshClusters) + len(got.SidecarClusters) +
				len(got.GatewayEndpoints) + len(got.MeshEndpoints) + len(got.SidecarEndpoints)
			Expect(calls).To(BeNumerically(">=", built+2), "%s: %d listeners, clusters and load assignments, and the steps between", filepath.Base(input), built)
		}
	})
})
