package envoyir_test

import (
	"fmt"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/golden"
)

var _ = Describe("Translator.Checkpoint (ADR 20, third amendment)", func() {
	It("is called before every virtual host and every cluster's endpoints, and changes nothing", func() {
		inputs, err := golden.Inputs("testdata/in/*.yaml")
		Expect(err).NotTo(HaveOccurred())
		for _, input := range inputs {
			cfg := loadConfig(input)
			want, wantErrs := envoyir.Translate(cfg)
			hosts := 0
			for _, r := range cfg.Of(mesh.KindVirtualService) {
				hosts += len(r.Spec.(*networking.VirtualService).GetHosts())
			}
			translator, calls := envoyir.NewTranslator(), 0
			translator.Checkpoint = func() { calls++ }
			got, gotErrs := translator.Translate(cfg)
			Expect(renderIR(got)).To(Equal(renderIR(want)), filepath.Base(input))
			Expect(fmt.Sprint(gotErrs)).To(Equal(fmt.Sprint(wantErrs)))
			Expect(calls).To(BeNumerically(">=", hosts+len(want.Clusters)+3), "%s: %d virtual hosts, %d clusters and the steps between", filepath.Base(input), hosts, len(want.Clusters))
		}
	})
})
