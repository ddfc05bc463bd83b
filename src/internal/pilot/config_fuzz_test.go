package pilot_test

import (
	"strings"
	"testing"

	"code.cloudfoundry.org/cf-mesh/internal/pilot"
)

// FuzzParse: a pilot config is rendered by BOSH from operator input; no
// file may crash the pilot, and one that parses must be valid.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"copilot": {"addresses": ["127.0.0.1:9009"]}}`,
		`{"copilot": {"addresses": ["copilot.service.cf.internal:9009"], "kinds": ["Gateway"]}, "copilot_tls": {"cert_file": "/c", "key_file": "/k", "ca_file": "/ca", "server_name": "copilot.service.cf.internal"}, "xds": {"listen_address": "0.0.0.0:15010"}}`,
		`{"copilot": {}}`, `null`, `{"gateway": {"connect_timeout": "x"}}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		cfg, err := pilot.Parse(strings.NewReader(input))
		if err == nil {
			if verr := cfg.Validate(); verr != nil {
				t.Fatalf("Parse accepted a config Validate refuses: %v", verr)
			}
		}
	})
}
