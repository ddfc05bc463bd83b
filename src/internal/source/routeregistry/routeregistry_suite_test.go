package routeregistry_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestRouteRegistry(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "RouteRegistry Suite")
}
