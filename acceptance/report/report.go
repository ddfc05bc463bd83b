package report

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
)

// Report entry names carry one of these prefixes.
const (
	measurementPrefix = "measured: "
	notePrefix        = "note: "
)

// reasonLimit keeps failure messages to one readable line.
const reasonLimit = 240

// Measure records a number the running spec measured, e.g.
// Measure("v1 share", "%.1f%%", 79.6). It shows in the spec's row.
func Measure(name, format string, args ...any) {
	ginkgo.AddReportEntry(measurementPrefix+name, fmt.Sprintf(format, args...), ginkgo.ReportEntryVisibilityNever)
}

// Note records a fact about the whole run, from a suite-level node (e.g.
// BeforeSuite). It shows under the table.
func Note(name, format string, args ...any) {
	ginkgo.AddReportEntry(notePrefix+name, fmt.Sprintf(format, args...), ginkgo.ReportEntryVisibilityNever)
}

// Measurement is one named number.
type Measurement struct {
	Name, Value string
}

// Row is one spec's outcome.
type Row struct {
	Scenario, Spec string
	// Result is passed, failed, skipped, pending, panicked, interrupted,
	// aborted or timedout (Ginkgo's spec states).
	Result       string
	Reason       string
	Duration     time.Duration
	Measurements []Measurement
	file         string
	line         int
}

// Table is a suite run's outcome.
type Table struct {
	Suite   string
	Started time.Time
	Wall    time.Duration
	Rows    []Row
	Notes   []Measurement
}

// FromGinkgo builds the table from a suite report: rows for the specs (It
// nodes), sorted by scenario and then by where they are written, and notes
// from the suite-level nodes.
func FromGinkgo(suite string, r types.Report) Table {
	t := Table{Suite: suite, Started: r.StartTime, Wall: r.RunTime}
	for _, spec := range r.SpecReports {
		if spec.LeafNodeType != types.NodeTypeIt {
			t.Notes = append(t.Notes, entries(spec.ReportEntries, notePrefix)...)
			if spec.State.Is(types.SpecStateFailureStates) {
				t.Notes = append(t.Notes, Measurement{Name: spec.LeafNodeType.String() + " " + spec.State.String(), Value: oneLine(spec.Failure.Message)})
			}
			continue
		}
		t.Rows = append(t.Rows, row(spec))
	}
	slices.SortStableFunc(t.Rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Scenario, b.Scenario), cmp.Compare(a.file, b.file), cmp.Compare(a.line, b.line))
	})
	return t
}

func row(spec types.SpecReport) Row {
	r := Row{Spec: spec.LeafNodeText, Result: spec.State.String(), Duration: spec.RunTime,
		Measurements: entries(spec.ReportEntries, measurementPrefix),
		file:         spec.LeafNodeLocation.FileName, line: spec.LeafNodeLocation.LineNumber}
	if len(spec.ContainerHierarchyTexts) > 0 {
		r.Scenario = spec.ContainerHierarchyTexts[0]
		if len(spec.ContainerHierarchyTexts) > 1 {
			r.Spec = strings.Join(append(slices.Clone(spec.ContainerHierarchyTexts[1:]), spec.LeafNodeText), " ")
		}
	}
	switch {
	case spec.State == types.SpecStateSkipped && spec.Failure.Message == "":
		r.Reason = "not run (filtered out, or the suite stopped before it)"
	case spec.State == types.SpecStateSkipped || spec.State.Is(types.SpecStateFailureStates):
		r.Reason = oneLine(spec.Failure.Message)
	}
	return r
}

func entries(es types.ReportEntries, prefix string) []Measurement {
	var out []Measurement
	for _, e := range es {
		if name, ok := strings.CutPrefix(e.Name, prefix); ok {
			out = append(out, Measurement{Name: name, Value: e.StringRepresentation()})
		}
	}
	return out
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > reasonLimit {
		s = s[:reasonLimit] + "…"
	}
	return s
}

// Counts returns how many specs passed, failed (any failure state) and were
// skipped.
func (t Table) Counts() (passed, failed, skipped int) {
	for _, r := range t.Rows {
		switch r.Result {
		case types.SpecStatePassed.String():
			passed++
		case types.SpecStateSkipped.String(), types.SpecStatePending.String():
			skipped++
		default:
			failed++
		}
	}
	return passed, failed, skipped
}

// Render writes the table as aligned text: a summary line, one line per
// spec ending in its measurements or its skip or failure reason, then the
// notes.
func (t Table) Render(w io.Writer) error {
	passed, failed, skipped := t.Counts()
	fmt.Fprintf(w, "cf-mesh acceptance (%s): %d passed, %d failed, %d skipped; wall time %s\n\n",
		t.Suite, passed, failed, skipped, t.Wall.Round(time.Second))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tSPEC\tRESULT\tTIME\tMEASURED, OR WHY SKIPPED OR FAILED")
	for _, r := range t.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Scenario, r.Spec, r.Result, r.Duration.Round(100*time.Millisecond), r.details())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(t.Notes) > 0 {
		fmt.Fprintln(w)
	}
	for _, n := range t.Notes {
		fmt.Fprintf(w, "%s: %s\n", n.Name, n.Value)
	}
	return nil
}

// Environment variables that say where each suite writes its table;
// without one a suite writes report.txt in its temporary directory.
const (
	LocalPathEnv = "CF_MESH_ACCEPTANCE_LOCAL_REPORT"
	CFPathEnv    = "CF_MESH_ACCEPTANCE_CF_REPORT"
)

// Path is where Write should put a suite's table: the file the environment
// variable env names, or def.
func Path(env, def string) string {
	if p := os.Getenv(env); p != "" {
		return p
	}
	return def
}

// Write renders the table into the file at path, creating its directory.
func Write(t Table, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("acceptance report: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("acceptance report: %w", err)
	}
	if err := t.Render(f); err != nil {
		f.Close()
		return fmt.Errorf("acceptance report %s: %w", path, err)
	}
	return f.Close()
}

// details is the last column: the reason a spec did not pass, then what it
// measured.
func (r Row) details() string {
	parts := make([]string, 0, len(r.Measurements)+1)
	if r.Reason != "" {
		parts = append(parts, r.Reason)
	}
	for _, m := range r.Measurements {
		parts = append(parts, m.Name+" "+m.Value)
	}
	return strings.Join(parts, "; ")
}
