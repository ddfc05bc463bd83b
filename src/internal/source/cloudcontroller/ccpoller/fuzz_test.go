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
		`{"api_url":"https://api.example.com","client_id":"c","client_secret":"s","event_poll_interval":"1s","full_sync_interval":"5m","event_lookback":"5s"}`,
		`{"full_sync_interval":"25h","event_lookback":"-1s"}`,
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
		for _, d := range []jsonduration.Duration{cfg.PollInterval, cfg.FullSyncInterval, cfg.EventPollInterval, cfg.EventLookback} {
			encoded, err := json.Marshal(d)
			if err != nil {
				t.Fatalf("cannot encode %v: %v", d, err)
			}
			var back jsonduration.Duration
			if err := json.Unmarshal(encoded, &back); err != nil || back != d {
				t.Fatalf("%v did not round-trip through %s: %v, %v", d, encoded, back, err)
			}
		}
	})
}
