package cloudcontroller_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestCloudController(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Local Foundation CloudController Suite")
}
