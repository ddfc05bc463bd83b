package jsonduration_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestJSONDuration(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "JSON Duration Suite")
}
