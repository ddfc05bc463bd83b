// Package report turns a Ginkgo suite report into the acceptance table the
// suites print and write at the end of a run: one row per spec with its
// scenario (the spec's outermost container), its result, the reason it was
// skipped or failed, and the numbers it measured (splits, failed-request
// counts, convergence times).
//
// Specs record numbers with Measure and suites add run-wide facts (the work
// directory, why there is no gateway) with Note; both ride on Ginkgo report
// entries, so they need no state of their own.
//
// Concurrency: Measure and Note are called from specs; FromGinkgo, Render
// and Write from a ReportAfterSuite node.
package report
