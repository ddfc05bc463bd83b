package cloudcontroller

import (
	"testing"
)

// FuzzDecodeDestinations feeds destination request bodies to the decoder:
// it must never panic, and whatever it accepts must meet Cloud Controller's
// rules.
func FuzzDecodeDestinations(f *testing.F) {
	for _, seed := range []string{
		`{"destinations": []}`,
		`{"destinations": [{"app": {"guid": "a"}}]}`,
		`{"destinations": [{"app": {"guid": "a", "process": {"type": "web"}}, "weight": 80, "port": 8080, "protocol": "http2"}, {"app": {"guid": "b"}, "weight": 20}]}`,
		`{"destinations": [{"app": {"guid": "a"}, "weight": 50.5}]}`,
		`{"destinations": [{"app": {"guid": "a"}, "weight": 1e300}]}`,
		`{"destinations": [{"app": {"guid": "a"}, "port": -1}]}`,
		`{"destinations": [{"app": {"guid": "a", "process": {"type": "web", "x": 1}}}]}`,
		`{"destinations": [null, 1, "x", {}]}`,
		`{"destinations": null}`,
		`{"destinations": {}, "x": 1}`,
		`null`,
		`[]`,
		`{`,
	} {
		f.Add([]byte(seed), true)
		f.Add([]byte(seed), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, replace bool) {
		inputs, apiErr := decodeDestinations(body, replace)
		if apiErr != nil {
			if apiErr.Detail == "" || apiErr.Status == 0 {
				t.Fatalf("error without status or detail: %+v", apiErr)
			}
			return
		}
		if problems := checkInputs(inputs, replace); len(problems) > 0 {
			t.Fatalf("accepted inputs that break the rules: %v", problems)
		}
		for _, in := range inputs {
			if in.appGUID == "" {
				t.Fatalf("accepted a destination without an app guid: %+v", in)
			}
			if in.weight != nil && !replace {
				t.Fatalf("accepted a weighted insert: %+v", in)
			}
		}
	})
}
