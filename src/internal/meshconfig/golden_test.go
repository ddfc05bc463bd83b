package meshconfig_test

import (
	"os"
	"path/filepath"
	"strings"

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

// loadOptions reads testdata/in/<case>.options.yaml when a case has one.
func loadOptions(input string) meshconfig.Options {
	var opts meshconfig.Options
	data, err := os.ReadFile(strings.TrimSuffix(input, ".yaml") + ".options.yaml")
	if os.IsNotExist(err) {
		return opts
	}
	Expect(err).NotTo(HaveOccurred())
	Expect(yaml.UnmarshalStrict(data, &opts)).To(Succeed())
	return opts
}

var _ = Describe("Compile (golden files)", func() {
	inputs, err := golden.Inputs("testdata/in/*.yaml")
	if err != nil {
		panic(err)
	}
	for _, input := range inputs {
		if strings.HasSuffix(input, ".options.yaml") {
			continue
		}
		It("compiles "+filepath.Base(input), func() {
			cfg, errs := meshconfig.Compile(loadTable(input), loadOptions(input))
			out, err := mesh.MarshalYAML(cfg)
			Expect(err).NotTo(HaveOccurred())
			// Problems lead the file as comments, so the output stays valid
			// input for the pilot-side golden tests.
			var problems []byte
			for _, e := range errs {
				problems = append(problems, "# problem: "+e.Error()+"\n"...)
			}
			Expect(golden.Compare(golden.OutputFor(input, ".yaml"), append(problems, out...))).To(Succeed())
		})
	}
})
