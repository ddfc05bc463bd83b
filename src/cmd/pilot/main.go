// Command pilot serves Envoy ingress gateways and proxyless gRPC clients
// over xDS, from the mesh configuration a copilot serves over MCP.
//
//	pilot -config /var/vcap/jobs/pilot/config/pilot.json
package main

import (
	"os"

	"code.cloudfoundry.org/lager/v3"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/pilot"
)

func main() {
	os.Exit(lifecycle.Main("pilot", os.Args[1:], func(cfg pilot.Config, logger lager.Logger, reg *prometheus.Registry) (lifecycle.Process, error) {
		return pilot.New(cfg, logger, reg)
	}))
}
