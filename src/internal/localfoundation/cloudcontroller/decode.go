package cloudcontroller

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// decodeDestinations reads a `PATCH|POST /v3/routes/:guid/destinations`
// body the way Cloud Controller's RouteUpdateDestinationsMessage does:
// structure first (400 for JSON that does not parse, 422 for the wrong
// shape), then the destination rules of checkInputs.
func decodeDestinations(body []byte, replace bool) ([]destinationInput, *APIError) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, errParse
	}
	var unknown []string
	for k := range top {
		if k != "destinations" {
			unknown = append(unknown, "'"+k+"'")
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, unprocessable("Unknown field(s): " + strings.Join(unknown, ", "))
	}
	raw, present := top["destinations"]
	var raws []json.RawMessage
	if !present || json.Unmarshal(raw, &raws) != nil || raws == nil {
		return nil, unprocessable(arrayMessage(replace))
	}
	inputs := make([]destinationInput, len(raws))
	var problems []string
	for i, raw := range raws {
		var shape []string
		inputs[i], shape = decodeDestination(i, raw)
		problems = append(problems, shape...)
	}
	if len(problems) > 0 {
		return nil, unprocessable(strings.Join(problems, ", "))
	}
	if problems := checkInputs(inputs, replace); len(problems) > 0 {
		return nil, unprocessable(strings.Join(problems, ", "))
	}
	return inputs, nil
}

// decodeDestination reads one destination object, reporting shape problems
// (wrong keys or types) in Cloud Controller's words.
func decodeDestination(i int, raw json.RawMessage) (destinationInput, []string) {
	prefix := fmt.Sprintf("Destinations[%d]: ", i)
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return destinationInput{}, []string{prefix + "must be an object."}
	}
	if _, ok := fields["app"]; !ok {
		return destinationInput{}, []string{prefix + `must have an "app".`}
	}
	for k := range fields {
		if !slices.Contains([]string{"app", "weight", "port", "protocol"}, k) {
			return destinationInput{}, []string{prefix + `must have only "app" and optionally "weight", "port" and "protocol".`}
		}
	}
	var in destinationInput
	var problems []string
	if p := decodeApp(fields["app"], &in); p != "" {
		problems = append(problems, prefix+p)
	}
	var ok bool
	if in.weight, ok = optionalInt(fields["weight"]); !ok {
		problems = append(problems, prefix+"weight must be a positive integer between 1 and 100.")
	}
	if in.port, ok = optionalInt(fields["port"]); !ok {
		problems = append(problems, prefix+"port must be a positive integer between 1024 and 65535 inclusive.")
	}
	if raw, present := fields["protocol"]; present && string(raw) != "null" {
		if json.Unmarshal(raw, &in.protocol) != nil || in.protocol == "" {
			problems = append(problems, prefix+"protocol must be 'http1' or 'http2'.")
		}
	}
	return in, problems
}

// decodeApp reads `{"guid": "...", "process": {"type": "..."}}`.
func decodeApp(raw json.RawMessage, in *destinationInput) string {
	var app struct {
		GUID    any             `json:"guid"`
		Process json.RawMessage `json:"process"`
	}
	if json.Unmarshal(raw, &app) != nil {
		return `app must have the structure {"guid": "app_guid"}`
	}
	guid, ok := app.GUID.(string)
	if !ok || guid == "" || len(guid) >= 200 {
		return `app must have the structure {"guid": "app_guid"}`
	}
	in.appGUID = guid
	if len(app.Process) == 0 || string(app.Process) == "null" {
		return ""
	}
	var process map[string]any
	if json.Unmarshal(app.Process, &process) != nil || len(process) != 1 {
		return `process must have the structure {"type": "process_type"}`
	}
	processType, ok := process["type"].(string)
	if !ok || processType == "" {
		return `process must have the structure {"type": "process_type"}`
	}
	in.processType = processType
	return ""
}

// optionalInt reads an absent or null value as nil, and an integral JSON
// number as an int; ok is false for anything else.
func optionalInt(raw json.RawMessage) (v *int, ok bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	var f float64
	if json.Unmarshal(raw, &f) != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return nil, false
	}
	n := int(f)
	return &n, true
}
