// Command copilot reads Cloud Foundry (Cloud Controller and NATS route
// registrations), compiles mesh configuration and serves it over MCP.
//
//	copilot -config /var/vcap/jobs/copilot/config/copilot.json
package main

import (
	"os"

	"code.cloudfoundry.org/lager/v3"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/copilot"
	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
)

func main() {
	os.Exit(lifecycle.Main("copilot", os.Args[1:], func(cfg copilot.Config, logger lager.Logger, reg *prometheus.Registry) (lifecycle.Process, error) {
		return copilot.New(cfg, logger, reg)
	}))
}
