// Command meshlocal runs the local foundation: cf-mesh's copilot and pilot
// with an embedded NATS, sample app instances and a proxyless gRPC client
// showing the weighted split, all on 127.0.0.1. scripts/run builds and
// starts it.
//
//	meshlocal -bin-dir DIR [-workdir DIR] [-routes FILE] [-instances N] [-check]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation"
)

func main() {
	os.Exit(run())
}

func run() int {
	binDir := flag.String("bin-dir", "", "directory holding the copilot and pilot binaries (required)")
	workDir := flag.String("workdir", "", "directory for configs, certificates, logs and the route file (default: a new temporary directory)")
	routes := flag.String("routes", "", "route file to use instead of the sample (YAML; docs/local-foundation.md)")
	instances := flag.Int("instances", 2, "instances per destination app")
	check := flag.Bool("check", false, "exit once every route's observed split matches its weights (non-zero on failure)")
	checkTimeout := flag.Duration("check-timeout", 90*time.Second, "how long -check waits for the split")
	flag.Parse()
	if *binDir == "" {
		fmt.Fprintln(os.Stderr, "meshlocal: -bin-dir is required")
		return 2
	}
	if *workDir == "" {
		dir, err := os.MkdirTemp("", "cf-mesh-local-")
		if err != nil {
			fmt.Fprintf(os.Stderr, "meshlocal: %v\n", err)
			return 1
		}
		*workDir = dir
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	err := localfoundation.Run(ctx, localfoundation.Options{
		WorkDir: *workDir, BinDir: *binDir, RoutesFile: *routes, Instances: *instances,
		Check: *check, CheckTimeout: *checkTimeout, Out: os.Stdout,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "meshlocal: %v\n", err)
		return 1
	}
	fmt.Println("stopped")
	return 0
}
