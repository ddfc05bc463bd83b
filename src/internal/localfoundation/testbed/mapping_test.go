package testbed_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

const routingTable = `{"routes": [
  {"guid": "r1", "host": "a.apps.local", "origin": "cloud_controller",
   "destinations": [{"key": "p1", "app_guid": "app-1"}, {"key": "p2", "app_guid": "app-2"}]},
  {"host": "a.apps.local", "path": "/x", "origin": "nats", "destinations": [{"key": "k", "app_guid": "app-3"}]}
]}`

var _ = DescribeTable("knowing when the copilot has read a mapping",
	func(body, route string, apps []string, want bool) {
		Expect(testbed.HasDestinations([]byte(body), route, apps)).To(Equal(want))
	},
	Entry("every app mapped", routingTable, "r1", []string{"app-1", "app-2"}, true),
	Entry("one app not yet", routingTable, "r1", []string{"app-1", "app-9"}, false),
	Entry("no such route yet", routingTable, "r2", []string{"app-1"}, false),
	Entry("a NATS-only route is not the mapping", routingTable, "", []string{"app-3"}, false),
	Entry("no routing table built yet", `nothing built yet`, "r1", []string{"app-1"}, false),
)
