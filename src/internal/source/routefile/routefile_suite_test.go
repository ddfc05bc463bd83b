package routefile_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestRouteFile(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "RouteFile Suite")
}
