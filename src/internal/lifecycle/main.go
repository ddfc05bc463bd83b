package lifecycle

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"code.cloudfoundry.org/lager/v3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Config is what a process's configuration file decodes into.
type Config[C any] interface {
	WithDefaults() C
	Validate() error
	Level() string
}

// Process is a configured process, ready to run.
type Process interface {
	Run(ctx context.Context) error
}

// ParseConfig decodes JSON into C, rejecting unknown fields (a typo in a
// BOSH property must not be silently ignored), then applies defaults and
// validates.
func ParseConfig[C Config[C]](component string, r io.Reader) (C, error) {
	var c C
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%s config: %w", component, err)
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%s config: %w", component, err)
	}
	return c, nil
}

// LoadConfig reads and parses a configuration file.
func LoadConfig[C Config[C]](component, path string) (C, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero C
		return zero, err
	}
	defer f.Close()
	return ParseConfig[C](component, f)
}

// Main is a binary's whole life: flags, configuration, logger, metrics
// registry, signals. It returns the exit code: 2 for bad usage or
// configuration, 1 when the process fails, 0 when it stops on a signal.
func Main[C Config[C]](component string, args []string, build func(C, lager.Logger, *prometheus.Registry) (Process, error)) int {
	flags := flag.NewFlagSet(component, flag.ContinueOnError)
	configPath := flags.String("config", "", "path to the "+component+"'s JSON configuration (required)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *configPath == "" {
		fmt.Fprintf(os.Stderr, "%s: -config is required\n", component)
		return 2
	}
	cfg, err := LoadConfig[C](component, *configPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", component, err)
		return 2
	}
	logger, err := NewLogger(component, cfg.Level(), os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", component, err)
		return 2
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	process, err := build(cfg, logger, registry)
	if err != nil {
		logger.Error("invalid-configuration", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := process.Run(ctx); err != nil {
		logger.Error("exited", err)
		return 1
	}
	logger.Info("stopped")
	return 0
}
