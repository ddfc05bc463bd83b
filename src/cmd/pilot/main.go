// Command pilot serves Envoy ingress gateways and proxyless gRPC clients
// over xDS, from the mesh configuration a copilot serves over MCP.
//
//	pilot -config /var/vcap/jobs/pilot/config/pilot.json
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

	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/pilot"
)

func main() {
	os.Exit(run())
}

func run() int {
	configPath := flag.String("config", "", "path to the pilot's JSON configuration (required)")
	flag.Parse()
	if *configPath == "" {
		fmt.Fprintln(os.Stderr, "pilot: -config is required")
		return 2
	}
	cfg, err := pilot.Load(*configPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pilot: %v\n", err)
		return 2
	}
	logger, err := lifecycle.NewLogger("pilot", cfg.LogLevel, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pilot: %v\n", err)
		return 2
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	p, err := pilot.New(cfg, logger, registry)
	if err != nil {
		logger.Error("invalid-configuration", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := p.Run(ctx); err != nil {
		logger.Error("exited", err)
		return 1
	}
	logger.Info("stopped")
	return 0
}
