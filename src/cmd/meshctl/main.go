// Command meshctl shows what cf-mesh's copilot and pilot hold (routes,
// connected proxies, config dumps), prints gateway bootstraps, and sets
// route destination weights in Cloud Controller the way a cf CLI user
// works. docs/meshctl.md describes it; the logic is internal/meshctl.
package main

import (
	"context"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/meshctl"
)

func main() {
	// meshctl reports every failure itself, in one line. Libraries' notes
	// on the standard logger (net/http prints one when an OAuth token
	// refresh fails) would add a second.
	log.SetOutput(io.Discard)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := meshctl.Run(ctx, os.Args[1:], meshctl.Env{
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Getenv:     os.Getenv,
		Hostname:   os.Hostname,
		Now:        time.Now,
		HTTPClient: &http.Client{},
	})
	stop()
	os.Exit(code)
}
