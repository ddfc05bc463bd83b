package config_test

import (
	"strings"
	"testing"

	"code.cloudfoundry.org/cf-mesh/acceptance/cf/config"
)

// FuzzParse feeds arbitrary files to the configuration reader: it returns
// a configuration or an error, never panics.
func FuzzParse(f *testing.F) {
	f.Add(minimal)
	f.Add(`{}`)
	f.Add(`{"bosh": {"deploy_args": [1]}}`)
	f.Add(`{"requests": 1e400}`)
	f.Add(`{"default_timeout": "1h1h1h"}`)
	f.Add(`{"gateway_address": "[::1]:80", "api": "a", "apps_domain": "b", "admin_user": "u", "admin_password": "p"}`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, text string) {
		c, err := config.Parse(strings.NewReader(text))
		if err == nil && c.Validate() != nil {
			t.Fatalf("Parse accepted a configuration Validate rejects: %+v", c)
		}
	})
}
