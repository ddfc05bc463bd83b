package release_test

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/cppforlife/go-patch/patch"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"
)

// cfDeploymentFile is cf-deployment v58.0.0, beside the checkout.
var cfDeploymentFile = inRepo("..", "shared", "cf-deployment", "cf-deployment.yml")

// interpolate reads cf-deployment and applies ops-files from manifests/ in
// order with go-patch, the library `bosh interpolate -o` uses (without
// variables), and returns the result as JSON-shaped data.
func interpolate(opsFiles ...string) map[string]any {
	GinkgoHelper()
	_, err := os.Stat(cfDeploymentFile)
	Expect(err).NotTo(HaveOccurred(), "cf-deployment.yml (v58.0.0) belongs in shared/cf-deployment beside the checkout")
	var doc any
	Expect(yamlv2.Unmarshal(readFile(cfDeploymentFile), &doc)).To(Succeed())
	for _, f := range opsFiles {
		var defs []patch.OpDefinition
		Expect(yamlv2.Unmarshal(readFile(inRepo("manifests", f)), &defs)).To(Succeed(), f)
		ops, err := patch.NewOpsFromDefinitions(defs)
		Expect(err).NotTo(HaveOccurred(), f)
		doc, err = ops.Apply(doc)
		Expect(err).NotTo(HaveOccurred(), f)
	}
	out, err := yamlv2.Marshal(doc)
	Expect(err).NotTo(HaveOccurred())
	var result map[string]any
	Expect(yaml.Unmarshal(out, &result)).To(Succeed())
	return result
}

func readFile(path string) []byte {
	GinkgoHelper()
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	return data
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// named finds the item of a list of hashes with that name.
func named(list any, name string) map[string]any {
	for _, item := range asList(list) {
		if m := asMap(item); m["name"] == name {
			return m
		}
	}
	return nil
}

// instanceGroupJob is one job of one instance group.
type instanceGroupJob struct {
	group string
	job   map[string]any
}

func (j instanceGroupJob) name() string { return fmt.Sprint(j.job["name"]) }

// jobsOf lists every job of every instance group, and of every addon.
func jobsOf(m map[string]any) []instanceGroupJob {
	var jobs []instanceGroupJob
	for _, ig := range asList(m["instance_groups"]) {
		for _, job := range asList(asMap(ig)["jobs"]) {
			jobs = append(jobs, instanceGroupJob{group: fmt.Sprint(asMap(ig)["name"]), job: asMap(job)})
		}
	}
	return jobs
}

// jobIn is a job of an instance group, failing the test when absent.
func jobIn(m map[string]any, group, job string) map[string]any {
	GinkgoHelper()
	ig := named(m["instance_groups"], group)
	Expect(ig).NotTo(BeNil(), "instance group %s", group)
	j := named(ig["jobs"], job)
	Expect(j).NotTo(BeNil(), "job %s in instance group %s", job, group)
	return j
}

// property follows a dotted name through a job's properties.
func property(job map[string]any, name string) any {
	var node any = asMap(job["properties"])
	for _, key := range strings.Split(name, ".") {
		m, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		node = m[key]
	}
	return node
}

var variableReference = regexp.MustCompile(`\(\(!?([A-Za-z0-9_\-/]+)((?:\.[A-Za-z0-9_\-]+)*)\)\)`)

// variableRefs lists the variable names ((name.field)) strings refer to.
func variableRefs(node any) []string {
	seen := map[string]bool{}
	var walk func(any)
	walk = func(n any) {
		switch v := n.(type) {
		case map[string]any:
			for k, child := range v {
				walk(k)
				walk(child)
			}
		case []any:
			for _, child := range v {
				walk(child)
			}
		case string:
			for _, match := range variableReference.FindAllStringSubmatch(v, -1) {
				seen[match[1]] = true
			}
		}
	}
	walk(node)
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// reference splits "((name.field))" into name and field.
func reference(value any) (name, field string) {
	match := variableReference.FindStringSubmatch(fmt.Sprint(value))
	if match == nil {
		return "", ""
	}
	return match[1], strings.TrimPrefix(match[2], ".")
}

// certificateVariables indexes the manifest's certificate variables.
func certificateVariables(m map[string]any) map[string]map[string]any {
	vars := map[string]map[string]any{}
	for _, v := range asList(m["variables"]) {
		if asMap(v)["type"] == "certificate" {
			vars[fmt.Sprint(asMap(v)["name"])] = asMap(asMap(v)["options"])
		}
	}
	return vars
}

// signedBy is the CA variable that a certificate reference's PEM is, or is
// signed by: ((ca.certificate)) of a CA is the CA itself, ((leaf.ca)) is the
// CA that signed the leaf, ((root.ca)) of a self-signed CA is itself.
func signedBy(certs map[string]map[string]any, ref any) string {
	name, field := reference(ref)
	options, ok := certs[name]
	if !ok {
		return ""
	}
	isCA := options["is_ca"] == true
	parent, _ := options["ca"].(string)
	switch {
	case field == "certificate" && isCA:
		return name
	case field == "certificate" || field == "ca":
		if parent == "" && isCA {
			return name
		}
		return parent
	}
	return ""
}

// caChain is a CA variable and the CAs above it.
func caChain(certs map[string]map[string]any, ca string) []string {
	var chain []string
	for ca != "" && !slices.Contains(chain, ca) {
		chain = append(chain, ca)
		ca, _ = certs[ca]["ca"].(string)
	}
	return chain
}

// alternativeNames are a certificate variable's SANs.
func alternativeNames(certs map[string]map[string]any, ref any) []string {
	name, _ := reference(ref)
	var sans []string
	for _, san := range asList(certs[name]["alternative_names"]) {
		sans = append(sans, fmt.Sprint(san))
	}
	return sans
}

// providedLink is a link a job in the deployment provides.
type providedLink struct {
	group, job, name, linkType string
}

// cfDeploymentLinks are the links cf-deployment's jobs that our jobs
// consume provide (read from nats-release's jobs/nats-tls/spec and
// capi-release's jobs/cloud_controller_ng/spec).
var cfDeploymentLinks = map[string][]providedLink{
	"nats-tls":            {{name: "nats-tls", linkType: "nats-tls"}},
	"cloud_controller_ng": {{name: "cloud_controller", linkType: "cloud_controller"}},
}

// providedLinks lists what every job in the deployment provides, under the
// name consumers use (the `as` of the manifest's provides, or the link's own).
func providedLinks(m map[string]any) []providedLink {
	var links []providedLink
	for _, j := range jobsOf(m) {
		declared := cfDeploymentLinks[j.name()]
		if spec, ok := loadJobSpec(j.name()); ok && fmt.Sprint(j.job["release"]) == "cf-mesh" {
			declared = nil
			for _, p := range spec.Provides {
				declared = append(declared, providedLink{name: p.Name, linkType: p.Type})
			}
		}
		for _, l := range declared {
			l.group, l.job = j.group, j.name()
			if as := asMap(asMap(j.job["provides"])[l.name])["as"]; as != nil {
				l.name = fmt.Sprint(as)
			}
			links = append(links, l)
		}
	}
	return links
}

// undeclaredProperties lists the manifest properties of a job that its spec
// does not declare (a property may hold a hash or list below its name).
func undeclaredProperties(spec jobSpec, properties map[string]any) []string {
	var undeclared []string
	var walk func(prefix string, node map[string]any)
	walk = func(prefix string, node map[string]any) {
		for key, value := range node {
			name := prefix + key
			if _, ok := spec.Properties[name]; ok {
				continue
			}
			child, isMap := value.(map[string]any)
			if isMap && slices.ContainsFunc(spec.propertyNames(), func(p string) bool { return strings.HasPrefix(p, name+".") }) {
				walk(name+".", child)
				continue
			}
			undeclared = append(undeclared, name)
		}
	}
	walk("", properties)
	sort.Strings(undeclared)
	return undeclared
}
