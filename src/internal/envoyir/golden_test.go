package envoyir_test

import (
	"encoding/json"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/yaml"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/golden"
)

// goldenOutput is what a golden file holds: the IR and the problems found.
type goldenOutput struct {
	IR     envoyir.IR `json:"ir"`
	Errors []string   `json:"errors,omitempty"`
}

var _ = Describe("Translate (golden files)", func() {
	inputs, err := golden.Inputs("testdata/in/*.yaml")
	if err != nil {
		panic(err)
	}
	for _, input := range inputs {
		It("translates "+filepath.Base(input), func() {
			data, err := os.ReadFile(input)
			Expect(err).NotTo(HaveOccurred())
			cfg, err := mesh.ParseYAML(data)
			Expect(err).NotTo(HaveOccurred())

			ir, errs := envoyir.Translate(cfg)
			out := goldenOutput{IR: ir}
			for _, e := range errs {
				out.Errors = append(out.Errors, e.Error())
			}
			js, err := json.Marshal(out)
			Expect(err).NotTo(HaveOccurred())
			y, err := yaml.JSONToYAML(js)
			Expect(err).NotTo(HaveOccurred())
			Expect(golden.Compare(golden.OutputFor(input, ".yaml"), y)).To(Succeed())
		})
	}
})
