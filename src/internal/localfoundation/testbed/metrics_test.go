package testbed_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

const exposition = `# HELP cfmesh_pilot_mcp_connected 1 while connected.
# TYPE cfmesh_pilot_mcp_connected gauge
cfmesh_pilot_mcp_connected 1
# TYPE cfmesh_copilot_cc_event_polls_total counter
cfmesh_copilot_cc_event_polls_total{result="failure"} 7
cfmesh_copilot_cc_event_polls_total{result="success"} 120 1700000000000
cfmesh_pilot_xds_connected_proxies{class="gateway"} 2
cfmesh_pilot_xds_connected_proxies{class="mesh"} 3
cfmesh_label_with_space{reason="a b} c"} 4
cfmesh_pilot_mcp_connected_total 99
`

var _ = DescribeTable("SumSamples",
	func(name string, labels []string, want float64) {
		Expect(testbed.SumSamples(strings.NewReader(exposition), name, labels...)).To(Equal(want))
	},
	Entry("a gauge without labels, not a metric it prefixes", "cfmesh_pilot_mcp_connected", nil, 1.0),
	Entry("one series by label", "cfmesh_copilot_cc_event_polls_total", []string{`result="failure"`}, 7.0),
	Entry("a sample with a timestamp", "cfmesh_copilot_cc_event_polls_total", []string{`result="success"`}, 120.0),
	Entry("every series summed", "cfmesh_pilot_xds_connected_proxies", nil, 5.0),
	Entry("a label value with a space and a brace", "cfmesh_label_with_space", nil, 4.0),
)

var _ = Describe("SumSamples errors", func() {
	It("says when no sample matches", func() {
		_, err := testbed.SumSamples(strings.NewReader(exposition), "cfmesh_pilot_xds_connected_proxies", `class="sidecar"`)
		Expect(err).To(MatchError(ContainSubstring(`no sample of metric cfmesh_pilot_xds_connected_proxies with labels [class="sidecar"]`)))
	})

	It("names a sample that is not a number", func() {
		_, err := testbed.SumSamples(strings.NewReader("broken_total{} many\n"), "broken_total")
		Expect(err).To(MatchError(ContainSubstring(`sample "broken_total{} many"`)))
	})
})
