package routeregistry_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
)

var _ = Describe("NormalizeURI", func() {
	DescribeTable("normalises like gorouter's route key",
		func(uri, want string) {
			Expect(routeregistry.NormalizeURI(uri)).To(Equal(want))
		},
		Entry("plain host", "dora.apps.example.com", "dora.apps.example.com"),
		Entry("upper-case host", "Dora.APPS.example.com", "dora.apps.example.com"),
		Entry("trailing slash", "dora.apps.example.com/", "dora.apps.example.com"),
		Entry("path kept", "dora.apps.example.com/v2/api", "dora.apps.example.com/v2/api"),
		Entry("path case kept, host lowered", "DORA.apps.example.com/Api", "dora.apps.example.com/Api"),
		Entry("path with trailing slash", "dora.apps.example.com/api/", "dora.apps.example.com/api"),
		Entry("query cut", "dora.apps.example.com/api?x=1", "dora.apps.example.com/api"),
		Entry("query cut before slash trim", "dora.apps.example.com/api/?x=1/", "dora.apps.example.com/api"),
		Entry("query on bare host", "dora.apps.example.com?x=1", "dora.apps.example.com"),
		Entry("wildcard kept", "*.apps.example.com", "*.apps.example.com"),
		Entry("wildcard with path", "*.Apps.example.com/foo", "*.apps.example.com/foo"),
		Entry("single label", "localhost", "localhost"),
	)

	DescribeTable("rejects URIs gorouter could never route",
		func(uri, reason string) {
			_, err := routeregistry.NormalizeURI(uri)
			Expect(err).To(MatchError(ContainSubstring(reason)))
		},
		Entry("empty", "", "host is empty"),
		Entry("only a slash", "/", "host is empty"),
		Entry("path without host", "/api", "host is empty"),
		Entry("host with port", "a.example.com:8080", "port or scheme"),
		Entry("scheme", "https://a.example.com", "port or scheme"),
		Entry("inner wildcard", "a.*.example.com", "wildcard"),
		Entry("bare wildcard", "*", "wildcard"),
		Entry("wildcard suffix", "*.", "empty label"),
		Entry("empty label", "a..example.com", "empty label"),
		Entry("space in host", "a example.com", "whitespace"),
		Entry("newline in path", "a.example.com/x\ny", "whitespace"),
	)
})
