package meshctl_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestMeshctl(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Meshctl Suite")
}
