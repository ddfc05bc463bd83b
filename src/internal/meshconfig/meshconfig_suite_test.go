package meshconfig_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestMeshConfig(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Mesh Config Suite")
}
