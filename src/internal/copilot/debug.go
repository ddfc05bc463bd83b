package copilot

import (
	"errors"
	"net/http"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/statusserver"
)

// debugHandlers are the copilot's debug endpoints on its loopback status
// server:
//
//	/debug/routes      the routing table: every route, its destinations, weights and endpoints (like gorouter's /routes)
//	/debug/meshconfig  the mesh configuration it serves (Istio YAML)
func (c *Copilot) debugHandlers() map[string]http.Handler {
	return map[string]http.Handler{
		"/debug/routes": statusserver.JSON(func(*http.Request) (any, error) {
			table, _, ok := c.builder.latest()
			if !ok {
				return nil, errNotBuilt
			}
			return table, nil
		}),
		"/debug/meshconfig": statusserver.Bytes("application/yaml", func(*http.Request) ([]byte, error) {
			_, cfg, ok := c.builder.latest()
			if !ok {
				return nil, errNotBuilt
			}
			return mesh.MarshalYAML(cfg)
		}),
	}
}

var errNotBuilt = errors.New("nothing built yet: the copilot waits for its route source and NATS to sync")
