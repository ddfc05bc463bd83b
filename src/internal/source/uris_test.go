package source_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source"
)

var _ = Describe("URIs of a host", func() {
	It("takes the host of a URI with or without a path", func() {
		Expect(source.URIHost("shop.example.com")).To(Equal("shop.example.com"))
		Expect(source.URIHost("shop.example.com/cart/items")).To(Equal("shop.example.com"))
	})

	DescribeTable("finds the host's URIs among sorted ones, around hosts that share its prefix",
		func(host string, want []string) {
			uris := []string{"shop.example.com", "shop.example.com", "shop.example.com.eu", "shop.example.com.eu/cart",
				"shop.example.com/cart", "shop.example.com/orders", "shop.example.comx", "shopping.example.com"}
			var got []string
			source.EachURIOfHost(len(uris), func(i int) string { return uris[i] }, host, func(i int) { got = append(got, uris[i]) })
			Expect(got).To(Equal(want))
		},
		Entry("the host and its paths, not the hosts between them", "shop.example.com",
			[]string{"shop.example.com", "shop.example.com", "shop.example.com/cart", "shop.example.com/orders"}),
		Entry("a host that sorts between", "shop.example.com.eu", []string{"shop.example.com.eu", "shop.example.com.eu/cart"}),
		Entry("a host with no URI", "shop.example.co", nil),
		Entry("the last host", "shopping.example.com", []string{"shopping.example.com"}),
	)
})
