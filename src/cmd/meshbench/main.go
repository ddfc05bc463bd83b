// Command meshbench is the scale benchmark of issue 8 (run it with
// scripts/bench): it drives the real copilot and pilot binaries with a
// Cloud Controller stand-in, NATS registrations at route-emitter's
// cadence and a fleet of simulated proxies, on loopback only, then does
// the same changes against a naive control plane, prints the table and
// writes it to docs/performance.md.
//
//	meshbench -size quick -bin DIR -workdir DIR -doc docs/performance.md
//	meshbench naive-pilot -config naive.json
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/meshbench"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "naive-pilot" {
		os.Exit(lifecycle.Main("naive-pilot", os.Args[2:], func(cfg meshbench.NaiveConfig, logger lager.Logger, reg *prometheus.Registry) (lifecycle.Process, error) {
			return meshbench.NewNaive(cfg, logger, reg)
		}))
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	flags := flag.NewFlagSet("meshbench", flag.ContinueOnError)
	sizeName := flags.String("size", "full", "full (10k routes, 100k endpoints, 1k proxies), large (full with 200 proxies), quick (a tenth) or tiny")
	bin := flags.String("bin", "", "directory with the copilot, pilot and meshbench binaries (empty: run them in this process)")
	workDir := flags.String("workdir", "", "directory for configurations, certificates and logs (default: a new temporary one)")
	doc := flags.String("doc", "", "performance document to write the table into (empty: print only)")
	command := flags.String("command", "", "the command line to record in the document")
	endpointChanges := flags.Int("endpoint-changes", -1, "endpoint changes against the pilot (-1: the size's default)")
	weightChanges := flags.Int("weight-changes", -1, "weight changes against the pilot (-1: the size's default)")
	naiveChanges := flags.Int("naive-changes", -1, "endpoint changes against the naive control plane, and half as many weight changes (-1: default)")
	memoryLimit := flags.String("copilot-memory-limit", meshbench.DefaultCopilotMemoryLimit, "the copilot's GOMEMLIMIT, as the copilot job's go_memory_limit (off: Go's default)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	size, err := meshbench.SizeNamed(*sizeName)
	if err != nil {
		fmt.Fprintln(os.Stderr, "meshbench:", err)
		return 2
	}
	o := meshbench.DefaultOptions(size)
	o.Binaries, o.WorkDir, o.Log, o.CopilotMemoryLimit = *bin, *workDir, os.Stderr, *memoryLimit
	if o.WorkDir == "" {
		if o.WorkDir, err = os.MkdirTemp("", "meshbench-"); err != nil {
			fmt.Fprintln(os.Stderr, "meshbench:", err)
			return 1
		}
	}
	overrides(&o, *endpointChanges, *weightChanges, *naiveChanges)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(os.Stderr, "meshbench: size %s, work directory %s\n", size.Name, o.WorkDir)
	report, err := meshbench.Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "meshbench:", err)
		return 1
	}
	report.Command = *command
	if report.Command == "" {
		report.Command = "meshbench " + strings.Join(args, " ")
	}
	fmt.Println(report.Markdown())
	if *doc != "" {
		if err := report.WriteDoc(*doc); err != nil {
			fmt.Fprintln(os.Stderr, "meshbench:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "meshbench: wrote %s (%s)\n", *doc, time.Now().Format(time.RFC3339))
	}
	return 0
}

func overrides(o *meshbench.Options, endpoint, weight, naive int) {
	if endpoint >= 0 {
		o.EndpointChanges = endpoint
	}
	if weight >= 0 {
		o.WeightChanges = weight
	}
	if naive >= 0 {
		o.NaiveEndpointChanges, o.NaiveWeightChanges = naive, naive/2
	}
}
