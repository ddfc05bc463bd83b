package ccpoller_test

import (
	"encoding/json"
	"testing"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller/ccpoller"
)

// FuzzConfigJSON decodes poller configs as BOSH would render them: decoding
// and validation must never panic, and a Duration that decodes must encode
// back to the same value.
func FuzzConfigJSON(f *testing.F) {
	for _, seed := range []string{
		`{"api_url":"https://api.example.com","client_id":"c","client_secret":"s","poll_interval":"10s","request_timeout":"30s","per_page":5000}`,
		`{"poll_interval":""}`,
		`{"poll_interval":10}`,
		`{"poll_interval":"-5m"}`,
		`{"request_timeout":"9223372036854775807ns"}`,
		`{"request_timeout":"1e3h"}`,
		`{"api_url":"http://[::1"}`,
		`{"per_page":-1}`,
		`null`,
		`{`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var cfg ccpoller.Config
		if json.Unmarshal(data, &cfg) != nil {
			return
		}
		_ = cfg.Validate()
		_ = cfg.WithDefaults().Validate()
		encoded, err := json.Marshal(cfg.PollInterval)
		if err != nil {
			t.Fatalf("cannot encode %v: %v", cfg.PollInterval, err)
		}
		var back jsonduration.Duration
		if err := json.Unmarshal(encoded, &back); err != nil || back != cfg.PollInterval {
			t.Fatalf("%v did not round-trip through %s: %v, %v", cfg.PollInterval, encoded, back, err)
		}
	})
}
