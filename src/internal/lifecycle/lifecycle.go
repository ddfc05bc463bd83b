package lifecycle

import (
	"context"
	"fmt"
	"io"
	"strings"

	"code.cloudfoundry.org/lager/v3"
	"golang.org/x/sync/errgroup"
)

// NewLogger returns a JSON logger for component writing to w at level
// `debug`, `info` (the default for ""), `error` or `fatal`.
func NewLogger(component, level string, w io.Writer) (lager.Logger, error) {
	minLevel, err := ParseLogLevel(level)
	if err != nil {
		return nil, err
	}
	logger := lager.NewLogger(component)
	logger.RegisterSink(lager.NewPrettySink(w, minLevel))
	return logger, nil
}

// ParseLogLevel reads a configured log level; "" means info.
func ParseLogLevel(level string) (lager.LogLevel, error) {
	switch strings.ToLower(level) {
	case "", "info":
		return lager.INFO, nil
	case "debug":
		return lager.DEBUG, nil
	case "error":
		return lager.ERROR, nil
	case "fatal":
		return lager.FATAL, nil
	}
	return lager.INFO, fmt.Errorf("log_level %q: want debug, info, error or fatal", level)
}

// Component is one long-running part of a process.
type Component struct {
	Name string
	Run  func(ctx context.Context) error
}

// Run runs every component until ctx ends or one of them fails; a failure
// cancels the others. It returns the first failure, naming its component.
func Run(ctx context.Context, logger lager.Logger, components ...Component) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, c := range components {
		g.Go(func() error {
			err := c.Run(ctx)
			if err != nil {
				logger.Error("component-failed", err, lager.Data{"component": c.Name})
				return fmt.Errorf("%s: %w", c.Name, err)
			}
			return nil
		})
	}
	return g.Wait()
}
