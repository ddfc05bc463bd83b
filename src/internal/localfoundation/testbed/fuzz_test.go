package testbed_test

import (
	"strings"
	"testing"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

// FuzzSumSamples feeds arbitrary exposition text to the metric reader:
// it returns a sum or an error, never panics.
func FuzzSumSamples(f *testing.F) {
	f.Add(exposition, "cfmesh_copilot_cc_event_polls_total", `result="failure"`)
	f.Add("x{a=\"}\"} 1\n", "x", "")
	f.Add("x} {1\n", "x", "")
	f.Add("x{\n", "x", "")
	f.Add("x 1e309\n", "x", "")
	f.Add("# TYPE x counter\nx NaN\n", "x", "")
	f.Fuzz(func(t *testing.T, text, name, label string) {
		var labels []string
		if label != "" {
			labels = []string{label}
		}
		_, _ = testbed.SumSamples(strings.NewReader(text), name, labels...)
	})
}
