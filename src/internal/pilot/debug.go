package pilot

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/statusserver"
)

// debugHandlers are the pilot's debug endpoints on its loopback status
// server:
//
//	/debug/syncz                     every connected proxy: class, what it was sent, ACKed, NACKed
//	/debug/config_dump?proxy=<node>  what one proxy is served, in Envoy's config_dump format
//	/debug/meshconfig                the mesh configuration the pilot follows (Istio YAML)
func (p *Pilot) debugHandlers() map[string]http.Handler {
	return map[string]http.Handler{
		"/debug/syncz": statusserver.JSON(func(*http.Request) (any, error) { return p.xds.Proxies(), nil }),
		"/debug/config_dump": statusserver.Bytes("application/json", func(r *http.Request) ([]byte, error) {
			dump, err := p.xds.ConfigDump(r.URL.Query().Get("proxy"))
			if err != nil {
				return nil, err
			}
			return indentedProtoJSON(dump)
		}),
		"/debug/meshconfig": statusserver.Bytes("application/yaml", func(*http.Request) ([]byte, error) {
			p.mu.Lock()
			latest := p.latest
			p.mu.Unlock()
			if latest == nil {
				return nil, errors.New("no mesh configuration received from a copilot yet")
			}
			return mesh.MarshalYAML(*latest)
		}),
	}
}

// indentedProtoJSON renders a message stably (protojson's own whitespace
// varies between builds on purpose).
func indentedProtoJSON(m proto.Message) ([]byte, error) {
	raw, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	err = json.Indent(&out, raw, "", "  ")
	return out.Bytes(), err
}
