package envoyir_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

var _ = DescribeTable("Gateway server hosts accepting a VirtualService host",
	func(serverHosts []string, host string, want bool) {
		Expect(envoyir.AcceptsHost(serverHosts, "cloudfoundry", host)).To(Equal(want))
	},
	Entry("any host", []string{"*"}, "shop.apps.example.com", true),
	Entry("exact", []string{"shop.apps.example.com"}, "shop.apps.example.com", true),
	Entry("exact, other host", []string{"shop.apps.example.com"}, "cart.apps.example.com", false),
	Entry("wildcard", []string{"*.apps.example.com"}, "shop.apps.example.com", true),
	Entry("wildcard, deeper host", []string{"*.apps.example.com"}, "a.b.apps.example.com", true),
	Entry("wildcard, the bare domain", []string{"*.apps.example.com"}, "apps.example.com", false),
	Entry("wildcard, a narrower wildcard host", []string{"*.apps.example.com"}, "*.eu.apps.example.com", true),
	Entry("any namespace", []string{"*/shop.apps.example.com"}, "shop.apps.example.com", true),
	Entry("the VirtualService's namespace", []string{"cloudfoundry/*"}, "shop.apps.example.com", true),
	Entry("another namespace", []string{"istio-system/*"}, "shop.apps.example.com", false),
	Entry("several, one matches", []string{"api.system.example.com", "*.apps.example.com"}, "shop.apps.example.com", true),
)
