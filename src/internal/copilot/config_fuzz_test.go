package copilot_test

import (
	"strings"
	"testing"

	"code.cloudfoundry.org/cf-mesh/internal/copilot"
)

// FuzzParse: a copilot config is rendered by BOSH from operator input; no
// file may crash the copilot, and one that parses must be valid.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"routes_file": {"path": "/tmp/routes.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}}`,
		`{"cloud_controller": {"api_url": "https://api.example.com", "client_id": "c", "client_secret": "s", "poll_interval": "5s"}, "nats": {"servers": ["tls://nats.service.cf.internal:4224"], "user": "u", "password": "p"}, "mcp": {"listen_address": "0.0.0.0:9009", "tls": {"cert_file": "/c", "key_file": "/k", "ca_file": "/ca"}}}`,
		`{"routes_file": null}`, `[]`, `{"debounce": "1h"}`, `{"mesh": {"gateway_http_port": -1}}`,
		`{"routes_file": {"path": "r.yaml"}, "nats": {"servers": ["nats://127.0.0.1:4222"]}, "network_policies": {"address": "https://policy-server.service.cf.internal:4003", "tls": {"cert_file": "/c", "key_file": "/k", "ca_file": "/ca"}, "poll_interval": "5s", "request_timeout": "5s"}}`,
		`{"network_policies": {"address": "https://[::1", "poll_interval": "-1s"}}`, `{"network_policies": null}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		cfg, err := copilot.Parse(strings.NewReader(input))
		if err == nil {
			if verr := cfg.Validate(); verr != nil {
				t.Fatalf("Parse accepted a config Validate refuses: %v", verr)
			}
		}
	})
}
