package report_test

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
)

func entry(name, value string) types.ReportEntry {
	return types.ReportEntry{Name: name, Value: types.WrapEntryValue(value)}
}

func spec(containers []string, text string, state types.SpecState, message string, line int, entries ...types.ReportEntry) types.SpecReport {
	return types.SpecReport{
		LeafNodeType: types.NodeTypeIt, ContainerHierarchyTexts: containers, LeafNodeText: text, State: state,
		Failure:          types.Failure{Message: message},
		LeafNodeLocation: types.CodeLocation{FileName: "a_test.go", LineNumber: line},
		RunTime:          1500 * time.Millisecond, ReportEntries: entries,
	}
}

var suiteReport = types.Report{
	RunTime: 95 * time.Second,
	SpecReports: types.SpecReports{
		{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStatePassed,
			ReportEntries: types.ReportEntries{entry("note: gateway", "no envoy on PATH"), entry("not ours", "x")}},
		spec([]string{"Weighted routing"}, "flips with a PATCH", types.SpecStatePassed, "", 20,
			entry("measured: v1 share (weight 80)", "79.6%"), entry("measured: PATCH to split", "0.4s")),
		spec([]string{"Fault: NATS down"}, "loses nothing", types.SpecStateFailed, "Expected\n    <int>: 3\nto be zero", 10,
			entry("measured: failed calls", "3")),
		spec([]string{"Weighted routing"}, "through Envoy", types.SpecStateSkipped, "no envoy binary on PATH", 10),
		spec([]string{"Context paths", "with Envoy"}, "routes /path", types.SpecStateSkipped, "", 5),
	},
}

var _ = Describe("The acceptance table", func() {
	It("has a row per spec, by scenario and then where the spec is written", func() {
		t := report.FromGinkgo("local foundation", suiteReport)
		Expect(t.Rows).To(HaveLen(4))
		Expect(t.Rows[0].Scenario).To(Equal("Context paths"))
		Expect(t.Rows[0].Spec).To(Equal("with Envoy routes /path"))
		Expect(t.Rows[0].Reason).To(ContainSubstring("not run"))
		Expect(t.Rows[1].Reason).To(Equal("Expected <int>: 3 to be zero"), "failures on one line")
		Expect(t.Rows[2].Spec).To(Equal("through Envoy"), "line 10 before line 20")
		Expect(t.Rows[2].Reason).To(Equal("no envoy binary on PATH"))
		Expect(t.Rows[3].Measurements).To(Equal([]report.Measurement{{Name: "v1 share (weight 80)", Value: "79.6%"}, {Name: "PATCH to split", Value: "0.4s"}}))
		Expect(t.Notes).To(Equal([]report.Measurement{{Name: "gateway", Value: "no envoy on PATH"}}))
		passed, failed, skipped := t.Counts()
		Expect([]int{passed, failed, skipped}).To(Equal([]int{1, 1, 2}))
	})

	It("renders a summary, aligned rows with their numbers or reasons, and the notes", func() {
		var b strings.Builder
		Expect(report.FromGinkgo("local foundation", suiteReport).Render(&b)).To(Succeed())
		out := b.String()
		Expect(out).To(HavePrefix("cf-mesh acceptance (local foundation): 1 passed, 1 failed, 2 skipped; wall time 1m35s\n"))
		Expect(out).To(MatchRegexp(`Weighted routing\s+flips with a PATCH\s+passed\s+1.5s\s+v1 share \(weight 80\) 79.6%; PATCH to split 0.4s`))
		Expect(out).To(MatchRegexp(`Fault: NATS down\s+loses nothing\s+failed\s+1.5s\s+Expected <int>: 3 to be zero; failed calls 3`))
		Expect(out).To(HaveSuffix("gateway: no envoy on PATH\n"))
	})

	It("writes the table to the file the suite's variable names, else to the default", func() {
		dir := GinkgoT().TempDir()
		GinkgoT().Setenv(report.LocalPathEnv, "")
		Expect(report.Path(report.LocalPathEnv, filepath.Join(dir, "default.txt"))).To(Equal(filepath.Join(dir, "default.txt")))
		GinkgoT().Setenv(report.LocalPathEnv, filepath.Join(dir, "nested", "table.txt"))
		path := report.Path(report.LocalPathEnv, "unused")
		Expect(report.Write(report.FromGinkgo("local foundation", suiteReport), path)).To(Succeed())
		data, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(ContainSubstring("Fault: NATS down"))
	})

	It("records what a spec measured as report entries the table reads back", func() {
		report.Measure("calls", "%d of %d", 3, 4)
		entries := CurrentSpecReport().ReportEntries
		Expect(entries).To(HaveLen(1))
		Expect(entries[0].Name).To(Equal("measured: calls"))
		Expect(entries[0].StringRepresentation()).To(Equal("3 of 4"))
	})
})
