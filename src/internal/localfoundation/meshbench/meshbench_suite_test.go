package meshbench_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestMeshbench(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Meshbench Suite")
}
