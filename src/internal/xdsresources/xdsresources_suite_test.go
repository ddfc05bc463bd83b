package xdsresources_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestXDSResources(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "xDS Resources Suite")
}
