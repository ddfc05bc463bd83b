package golden

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

var update = flag.Bool("update-golden", false, "rewrite golden files under testdata/out from the current output")

// Updating reports whether this run rewrites golden files.
func Updating() bool { return *update }

// Compare returns nil when got equals the golden file at path, and an error
// showing the first differing line otherwise. With -update-golden it writes
// got to path instead.
func Compare(path string, got []byte) error {
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		return os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading golden file (run with -update-golden to create it): %w", err)
	}
	if string(want) == string(got) {
		return nil
	}
	return fmt.Errorf("%s differs from the output (run with -update-golden after checking the change):\n%s", path, firstDifference(string(want), string(got)))
}

// Inputs lists the files matching pattern, sorted, so each becomes a case.
func Inputs(pattern string) ([]string, error) {
	files, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no golden inputs match %s", pattern)
	}
	sort.Strings(files)
	return files, nil
}

// OutputFor maps testdata/in/<case>.yaml to testdata/out/<case><suffix>.
func OutputFor(input, suffix string) string {
	dir := filepath.Join(filepath.Dir(filepath.Dir(input)), "out")
	name := strings.TrimSuffix(filepath.Base(input), filepath.Ext(input))
	return filepath.Join(dir, name+suffix)
}

func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want: %q\n  got:  %q", i+1, wl, gl)
		}
	}
	return "(no line differs; trailing bytes differ)"
}
