package testbed

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Binaries are the programs Build compiles, by their cmd/ directory.
var Binaries = []string{"copilot", "pilot"}

// Build compiles the copilot and pilot binaries of the module at srcDir
// (the repository's src/) into binDir with the go command on PATH, once per
// run, as `scripts/run` does.
func Build(ctx context.Context, srcDir, binDir string) error {
	if _, err := os.Stat(filepath.Join(srcDir, "go.mod")); err != nil {
		return fmt.Errorf("building cf-mesh: %s is not the cf-mesh module: %w", srcDir, err)
	}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return fmt.Errorf("building cf-mesh: %w", err)
	}
	args := []string{"build", "-o", binDir + string(filepath.Separator)}
	for _, b := range Binaries {
		args = append(args, "./cmd/"+b)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = srcDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go %s in %s: %w\n%s", strings.Join(args, " "), srcDir, err, out)
	}
	return nil
}
