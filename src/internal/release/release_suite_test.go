// Package release_test checks the BOSH release around the Go code: the
// rendered examples of the job templates (spec/fixtures/rendered, written by
// the rspec template specs) against the Go configuration types, the
// ops-files in manifests/ applied to cf-deployment, the packages and blobs,
// and scripts/create-release when a bosh CLI is on PATH. It has only tests.
package release_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/yaml"
)

func TestRelease(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Release Suite")
}

// repoRoot is the checkout's root (this package is src/internal/release).
var repoRoot = filepath.Join("..", "..", "..")

// inRepo names a file of the checkout.
func inRepo(parts ...string) string {
	return filepath.Join(append([]string{repoRoot}, parts...)...)
}

// readYAML reads a YAML file into generic maps and slices (YAML → JSON
// types: map[string]any, []any, float64, string, bool, nil).
func readYAML(path string) any {
	GinkgoHelper()
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var doc any
	Expect(yaml.Unmarshal(data, &doc)).To(Succeed(), path)
	return doc
}
