package release_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/yaml"
)

// packageSpec is a package's spec file.
type packageSpec struct {
	Name          string   `json:"name"`
	Dependencies  []string `json:"dependencies"`
	Files         []string `json:"files"`
	ExcludedFiles []string `json:"excluded_files"`
}

func loadPackageSpec(name string) packageSpec {
	GinkgoHelper()
	data, err := os.ReadFile(inRepo("packages", name, "spec"))
	Expect(err).NotTo(HaveOccurred())
	var spec packageSpec
	Expect(yaml.UnmarshalStrict(data, &spec)).To(Succeed(), "packages/%s/spec", name)
	return spec
}

// globRegexp turns a BOSH package glob (Ruby's Dir.glob: `**/` any
// directories, `*` within one) into a regular expression.
func globRegexp(glob string) *regexp.Regexp {
	var re strings.Builder
	re.WriteString("^")
	for i := 0; i < len(glob); i++ {
		switch {
		case strings.HasPrefix(glob[i:], "**/"):
			re.WriteString("(.*/)?")
			i += 2
		case strings.HasPrefix(glob[i:], "**"):
			re.WriteString(".*")
			i++
		case glob[i] == '*':
			re.WriteString("[^/]*")
		case glob[i] == '?':
			re.WriteString("[^/]")
		default:
			re.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		}
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String())
}

// includes reports whether a package's files take path (relative to src/
// or blobs/).
func (p packageSpec) includes(path string) bool {
	for _, ex := range p.ExcludedFiles {
		if globRegexp(ex).MatchString(path) {
			return false
		}
	}
	for _, f := range p.Files {
		if globRegexp(f).MatchString(path) {
			return true
		}
	}
	return false
}

// moduleBlob is the name ADR 4 gives the module cache blob of go.sum.
func moduleBlob() string {
	GinkgoHelper()
	sum, err := os.ReadFile(inRepo("src", "go.sum"))
	Expect(err).NotTo(HaveOccurred())
	digest := sha256.Sum256(sum)
	return "go-modules/cf-mesh-modules-" + hex.EncodeToString(digest[:])[:16] + ".tgz"
}

func declaredBlobs() map[string]any {
	return asMap(readYAML(inRepo("config", "blobs.yml")))
}

var _ = Describe("packages and blobs", func() {
	It("names the release cf-mesh", func() {
		Expect(asMap(readYAML(inRepo("config", "final.yml")))).To(HaveKeyWithValue("name", "cf-mesh"))
	})

	It("declares the module cache blob of this go.sum (run scripts/add-blobs --modules-only after a go.sum change)", func() {
		blobs := declaredBlobs()
		Expect(blobs).To(HaveKey(moduleBlob()))
		for path := range blobs {
			if strings.HasPrefix(path, "go-modules/") {
				Expect(path).To(Equal(moduleBlob()), "a stale module blob is still declared")
			}
		}
		for _, p := range []string{"copilot", "pilot"} {
			packaging, err := os.ReadFile(inRepo("packages", p, "packaging"))
			Expect(err).NotTo(HaveOccurred())
			Expect(string(packaging)).To(ContainSubstring(`go-modules/cf-mesh-modules-$(sha256sum go.sum | cut -c1-16).tgz`),
				"packages/%s/packaging checks the blob by the same name", p)
		}
	})

	It("declares a Go toolchain of the go directive's release, and only blobs a package takes", func() {
		gomod, err := os.ReadFile(inRepo("src", "go.mod"))
		Expect(err).NotTo(HaveOccurred())
		goDirective := regexp.MustCompile(`(?m)^go (1\.[0-9]+)`).FindSubmatch(gomod)
		Expect(goDirective).NotTo(BeNil())
		golang := loadPackageSpec("golang-" + string(goDirective[1]) + "-linux")
		packages := []packageSpec{golang, loadPackageSpec("copilot"), loadPackageSpec("pilot"), loadPackageSpec("envoy")}
		toolchain := false
		for path := range declaredBlobs() {
			toolchain = toolchain || golang.includes(path)
			taken := false
			for _, p := range packages {
				taken = taken || p.includes(path)
			}
			Expect(taken).To(BeTrue(), "config/blobs.yml declares %s, which no package takes", path)
		}
		Expect(toolchain).To(BeTrue(), "config/blobs.yml declares no blob for %s", golang.Name)
		Expect(loadPackageSpec("envoy").includes("envoy/envoy-1.36.2-linux-amd64")).To(BeTrue(), "the name scripts/create-release gives Envoy")
	})

	for binary, pkg := range map[string]string{"copilot": "copilot", "pilot": "pilot", "meshctl": "pilot"} {
		It("compiles the "+binary+" from every file it needs, without tests", func() {
			spec := loadPackageSpec(pkg)
			Expect(spec.Dependencies).To(ConsistOf(HavePrefix("golang-")))
			for _, f := range []string{"go.mod", "go.sum", moduleBlob()} {
				Expect(spec.includes(f)).To(BeTrue(), f)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			list := exec.CommandContext(ctx, "go", "list", "-deps", "-json=Dir,Module,GoFiles,EmbedFiles", "./cmd/"+binary)
			list.Dir, list.Stderr = inRepo("src"), GinkgoWriter
			out, err := list.Output()
			Expect(err).NotTo(HaveOccurred())
			dec := json.NewDecoder(strings.NewReader(string(out)))
			src, err := filepath.Abs(inRepo("src"))
			Expect(err).NotTo(HaveOccurred())
			checked := 0
			for dec.More() {
				var pkg struct {
					Dir                 string
					Module              *struct{ Main bool }
					GoFiles, EmbedFiles []string
				}
				Expect(dec.Decode(&pkg)).To(Succeed())
				if pkg.Module == nil || !pkg.Module.Main {
					continue
				}
				rel, err := filepath.Rel(src, pkg.Dir)
				Expect(err).NotTo(HaveOccurred())
				for _, f := range append(pkg.GoFiles, pkg.EmbedFiles...) {
					Expect(spec.includes(filepath.ToSlash(filepath.Join(rel, f)))).To(BeTrue(), "packages/%s/spec leaves out %s/%s", pkg, rel, f)
					checked++
				}
			}
			Expect(checked).To(BeNumerically(">", 10))
			Expect(spec.includes("internal/copilot/copilot_test.go")).To(BeFalse())
			Expect(spec.includes("internal/gatewaybootstrap/testdata/out/gateway-bootstrap.json")).To(BeFalse())
		})
	}

	It("builds a release tarball with scripts/create-release when a bosh CLI is on PATH", func() {
		if _, err := exec.LookPath("bosh"); err != nil {
			Skip("no bosh CLI on PATH (it cannot be installed here): scripts/create-release, which runs `bosh create-release --force --tarball`, was not run")
		}
		args := []string{"--tarball", filepath.Join(GinkgoT().TempDir(), "cf-mesh.tgz")}
		if envoy, err := exec.LookPath("envoy"); err == nil {
			args = append(args, "--envoy", envoy)
		} else if !regexp.MustCompile(`(?m)^envoy/`).MatchString(string(must(os.ReadFile(inRepo("config", "blobs.yml"))))) {
			Skip("bosh is on PATH but no envoy binary is, and config/blobs.yml has no Envoy blob: scripts/create-release needs one")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, inRepo("scripts", "create-release"), args...)
		cmd.Stdout, cmd.Stderr = GinkgoWriter, GinkgoWriter
		Expect(cmd.Run()).To(Succeed())
		listing, err := exec.CommandContext(ctx, "tar", "-tzf", args[1]).Output()
		Expect(err).NotTo(HaveOccurred())
		for _, part := range []string{"jobs/copilot.tgz", "jobs/pilot.tgz", "jobs/gateway.tgz", "packages/copilot.tgz", "packages/envoy.tgz"} {
			Expect(string(listing)).To(ContainSubstring(part))
		}
	})
})

func must[T any](v T, err error) T {
	Expect(err).NotTo(HaveOccurred())
	return v
}
