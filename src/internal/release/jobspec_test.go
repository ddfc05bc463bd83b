package release_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/yaml"
)

// jobSpec is a job's spec file.
type jobSpec struct {
	Name        string                  `json:"name"`
	Description string                  `json:"description"`
	Templates   map[string]string       `json:"templates"`
	Packages    []string                `json:"packages"`
	Provides    []linkSpec              `json:"provides"`
	Consumes    []linkSpec              `json:"consumes"`
	Properties  map[string]propertySpec `json:"properties"`
}

type linkSpec struct {
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	Optional   bool     `json:"optional"`
	Properties []string `json:"properties"`
}

type propertySpec struct {
	Description string `json:"description"`
	Default     any    `json:"default"`
	Example     any    `json:"example"`
}

// ourJobs are the release's jobs.
var ourJobs = []string{"copilot", "pilot", "gateway"}

// loadJobSpec reads jobs/<name>/spec, if this release has that job.
func loadJobSpec(name string) (jobSpec, bool) {
	data, err := os.ReadFile(inRepo("jobs", name, "spec"))
	if err != nil {
		return jobSpec{}, false
	}
	var spec jobSpec
	Expect(yaml.UnmarshalStrict(data, &spec)).To(Succeed(), "jobs/%s/spec", name)
	return spec, true
}

func (s jobSpec) propertyNames() []string {
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

var _ = Describe("job specs", func() {
	for _, name := range ourJobs {
		Describe(name, func() {
			var spec jobSpec
			BeforeEach(func() {
				var ok bool
				spec, ok = loadJobSpec(name)
				Expect(ok).To(BeTrue())
			})

			It("describes the job and every property", func() {
				Expect(spec.Name).To(Equal(name))
				Expect(spec.Description).NotTo(BeEmpty())
				for _, p := range spec.propertyNames() {
					Expect(strings.TrimSpace(spec.Properties[p].Description)).NotTo(BeEmpty(), "property %s", p)
				}
			})

			It("renders every template it has, and has every template it renders", func() {
				var files []string
				root := inRepo("jobs", name, "templates")
				Expect(filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						rel, _ := filepath.Rel(root, path)
						files = append(files, filepath.ToSlash(rel))
					}
					return err
				})).To(Succeed())
				listed := make([]string, 0, len(spec.Templates))
				for src := range spec.Templates {
					listed = append(listed, src)
				}
				Expect(files).To(ConsistOf(listed))
				Expect(spec.Templates).To(ContainElement("config/bpm.yml"))
			})

			It("provides only properties it declares", func() {
				for _, l := range spec.Provides {
					for _, p := range l.Properties {
						Expect(spec.Properties).To(HaveKey(p), "link %s property %s", l.Name, p)
					}
				}
			})

			It("lets monit start and stop it through bpm only", func() {
				monit, err := os.ReadFile(inRepo("jobs", name, "monit"))
				Expect(err).NotTo(HaveOccurred())
				Expect(string(monit)).To(ContainSubstring(`start program "/var/vcap/jobs/bpm/bin/bpm start ` + name + `"`))
				Expect(string(monit)).To(ContainSubstring(`stop program "/var/vcap/jobs/bpm/bin/bpm stop ` + name + `"`))
				Expect(string(monit)).To(ContainSubstring("/var/vcap/sys/run/bpm/" + name + "/" + name + ".pid"))
			})

			It("uses packages the release has", func() {
				for _, p := range spec.Packages {
					Expect(inRepo("packages", p, "spec")).To(BeAnExistingFile())
				}
			})
		})
	}
})
