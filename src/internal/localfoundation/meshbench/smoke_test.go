package meshbench_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/meshbench"
)

// The smoke test runs the whole harness at the tiny size, in process, so
// that scripts/bench cannot rot: every phase must run and every change
// must reach every subscribed proxy.
var _ = Describe("Run", func() {
	It("measures a tiny foundation end to end and writes its table into the Scale section", func() {
		o := meshbench.DefaultOptions(meshbench.Tiny)
		o.WorkDir = GinkgoT().TempDir()
		var log bytes.Buffer
		o.Log = &log
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()

		report, err := meshbench.Run(ctx, o)
		Expect(err).NotTo(HaveOccurred(), log.String())

		Expect(report.ColdStart.AllProxies).To(BeNumerically(">", 0))
		Expect(report.ColdStart.NATSInitialSync).To(BeNumerically(">", 0), "read from the copilot's metrics")
		Expect(report.ColdStart.NATSInitialSync).To(BeNumerically("<", report.ColdStart.CopilotReady))
		for _, c := range []meshbench.ChangeStats{report.Ours.Endpoint, report.Ours.Weight, report.Naive.Endpoint, report.Naive.Weight} {
			Expect(c.TimedOut).To(BeZero(), log.String())
			Expect(c.Proxies).To(BeNumerically(">", 0), "each change is expected by some proxy")
		}
		Expect(report.Ours.Endpoint.Count).To(Equal(o.EndpointChanges))
		Expect(report.Ours.Weight.Count).To(Equal(o.WeightChanges))
		Expect(report.Naive.Endpoint.Count).To(Equal(o.NaiveEndpointChanges))
		Expect(report.Ours.Proxies).To(Equal(meshbench.Tiny.Proxies()))
		Expect(report.Ingest.Missing).To(BeZero())
		Expect(report.Steady.Builds).To(BeZero(), "re-registration changes nothing")
		Expect(report.Steady.XDSBytes).To(BeZero(), "re-registration sends nothing to proxies")

		doc := filepath.Join(o.WorkDir, "performance.md")
		Expect(os.WriteFile(doc, []byte("# Performance\n\n## Scale\n\nIntro.\n\n## Other\n\nKept.\n"), 0o600)).To(Succeed())
		report.Command = "scripts/bench -size tiny"
		Expect(report.WriteDoc(doc)).To(Succeed())
		Expect(report.WriteDoc(doc)).To(Succeed(), "a second run replaces its block")
		written, err := os.ReadFile(doc)
		Expect(err).NotTo(HaveOccurred())
		Expect(bytes.Count(written, []byte("<!-- meshbench:tiny:begin -->"))).To(Equal(1))
		Expect(string(written)).To(MatchRegexp(`(?s)## Scale\n\nIntro\.\n.*meshbench:tiny:begin.*scripts/bench -size tiny.*meshbench:tiny:end -->\n\n## Other\n\nKept\.\n$`))
	})
})
