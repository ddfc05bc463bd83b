package meshstore_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestMeshStore(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Mesh Store Suite")
}
