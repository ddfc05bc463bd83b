// Command copilot reads Cloud Foundry (Cloud Controller and NATS route
// registrations), compiles mesh configuration and serves it over MCP.
//
//	copilot -config /var/vcap/jobs/copilot/config/copilot.json
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"code.cloudfoundry.org/cf-mesh/internal/copilot"
	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
)

func main() {
	os.Exit(run())
}

func run() int {
	configPath := flag.String("config", "", "path to the copilot's JSON configuration (required)")
	flag.Parse()
	if *configPath == "" {
		fmt.Fprintln(os.Stderr, "copilot: -config is required")
		return 2
	}
	cfg, err := copilot.Load(*configPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "copilot: %v\n", err)
		return 2
	}
	logger, err := lifecycle.NewLogger("copilot", cfg.LogLevel, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "copilot: %v\n", err)
		return 2
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	c, err := copilot.New(cfg, logger, registry)
	if err != nil {
		logger.Error("invalid-configuration", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := c.Run(ctx); err != nil {
		logger.Error("exited", err)
		return 1
	}
	logger.Info("stopped")
	return 0
}
