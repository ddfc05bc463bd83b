package meshconfig_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/yaml"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/meshconfig"
	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/golden"
)

func loadTable(path string) routingtable.Table {
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var table routingtable.Table
	Expect(yaml.UnmarshalStrict(data, &table)).To(Succeed(), path)
	return table
}

var _ = Describe("Compile (golden files)", func() {
	inputs, err := golden.Inputs("testdata/in/*.yaml")
	if err != nil {
		panic(err)
	}
	for _, input := range inputs {
		It("compiles "+filepath.Base(input), func() {
			cfg, errs := meshconfig.Compile(loadTable(input), meshconfig.Options{})
			Expect(errs).To(BeEmpty())
			out, err := mesh.MarshalYAML(cfg)
			Expect(err).NotTo(HaveOccurred())
			Expect(golden.Compare(golden.OutputFor(input, ".yaml"), out)).To(Succeed())
		})
	}
})
