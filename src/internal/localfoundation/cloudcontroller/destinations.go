package cloudcontroller

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// Destination is a route destination as the Go API takes it.
type Destination struct {
	AppGUID string
	// ProcessType defaults to `web`.
	ProcessType string
	// Port defaults to 8080 when 0; otherwise Cloud Controller allows
	// 1024..65535.
	Port int
	// Protocol defaults to `http1`; `http2` is the other choice.
	Protocol string
	// Weight is nil for an unweighted destination.
	Weight *int
}

// destinationInput is a destination as a request states it, before
// defaults.
type destinationInput struct {
	appGUID, processType, protocol string
	port, weight                   *int
}

func (d Destination) input() destinationInput {
	in := destinationInput{appGUID: d.AppGUID, processType: d.ProcessType, protocol: d.Protocol, weight: d.Weight}
	if d.Port != 0 {
		port := d.Port
		in.port = &port
	}
	return in
}

// ReplaceDestinations replaces all of a route's destinations, with the
// validation `PATCH /v3/routes/:guid/destinations` applies. The error is an
// *APIError carrying Cloud Controller's status and message.
func (cc *CloudController) ReplaceDestinations(routeGUID string, dests []Destination) error {
	return cc.changeDestinationsAPI(routeGUID, dests, true)
}

// InsertDestinations adds destinations to a route, as
// `POST /v3/routes/:guid/destinations` (what `cf map-route` calls) does:
// no weights, and not on a route that has weighted destinations.
func (cc *CloudController) InsertDestinations(routeGUID string, dests []Destination) error {
	return cc.changeDestinationsAPI(routeGUID, dests, false)
}

func (cc *CloudController) changeDestinationsAPI(routeGUID string, dests []Destination, replace bool) error {
	inputs := make([]destinationInput, len(dests))
	for i, d := range dests {
		inputs[i] = d.input()
	}
	if problems := checkInputs(inputs, replace); len(problems) > 0 {
		return unprocessable(strings.Join(problems, ", "))
	}
	if _, err := cc.changeDestinations(routeGUID, inputs, replace); err != nil {
		return err
	}
	return nil
}

// checkInputs applies RouteUpdateDestinationsMessage's rules
// (cloud_controller_ng app/messages/route_update_destinations_message.rb).
func checkInputs(inputs []destinationInput, replace bool) []string {
	if len(inputs) < minDestinations(replace) || len(inputs) > maxDestinations {
		return []string{arrayMessage(replace)}
	}
	var problems []string
	for i, d := range inputs {
		problems = append(problems, checkInput(i, d, replace)...)
	}
	if len(problems) > 0 {
		return problems
	}
	return checkWeights(inputs)
}

// maxDestinations is how many destinations one request may name.
const maxDestinations = 100

// minDestinations is 0 for a replace (which may unmap everything) and 1 for
// an insert.
func minDestinations(replace bool) int {
	if replace {
		return 0
	}
	return 1
}

func arrayMessage(replace bool) string {
	return fmt.Sprintf("Destinations must be an array containing between %d and %d destination objects.", minDestinations(replace), maxDestinations)
}

func checkInput(i int, d destinationInput, replace bool) []string {
	prefix := fmt.Sprintf("Destinations[%d]: ", i)
	var problems []string
	if d.appGUID == "" || len(d.appGUID) >= 200 {
		problems = append(problems, prefix+`app must have the structure {"guid": "app_guid"}`)
	}
	if d.weight != nil {
		switch {
		case !replace:
			problems = append(problems, prefix+"weighted destinations can only be used when replacing all destinations.")
		case *d.weight < 1 || *d.weight > 100:
			problems = append(problems, prefix+"weight must be a positive integer between 1 and 100.")
		}
	}
	if d.port != nil && (*d.port < 1024 || *d.port > 65535) {
		problems = append(problems, prefix+"port must be a positive integer between 1024 and 65535 inclusive.")
	}
	if d.protocol != "" && d.protocol != "http1" && d.protocol != "http2" {
		problems = append(problems, prefix+"protocol must be 'http1' or 'http2'.")
	}
	return problems
}

func checkWeights(inputs []destinationInput) []string {
	weighted, sum := 0, 0
	for _, d := range inputs {
		if d.weight != nil {
			weighted++
			sum += *d.weight
		}
	}
	switch {
	case weighted == 0:
		return nil
	case weighted < len(inputs):
		return []string{"Destinations cannot contain both weighted and unweighted destinations."}
	case sum != 100:
		return []string{"Destinations must have weights that sum to 100."}
	}
	return nil
}

// changeDestinations applies validated inputs to a route, with the checks
// that need state (UpdateRouteDestinations, app existence), and returns the
// route's destinations afterwards.
func (cc *CloudController) changeDestinations(routeGUID string, inputs []destinationInput, replace bool) ([]destinationJSON, *APIError) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	rt := cc.findRoute(routeGUID)
	if rt == nil {
		return nil, errRouteNotFound
	}
	if err := cc.checkAppsExist(inputs); err != nil {
		return nil, err
	}
	wanted := make([]destination, len(inputs))
	for i, in := range inputs {
		wanted[i] = withDefaults(in)
		if slices.ContainsFunc(wanted[:i], wanted[i].sameMapping) {
			return nil, unprocessable("Destinations cannot contain duplicate entries")
		}
	}
	before := rt.destinations
	if replace {
		rt.destinations = cc.mergeMappings(nil, rt.destinations, wanted)
	} else {
		if slices.ContainsFunc(rt.destinations, func(d destination) bool { return d.weight != nil }) {
			return nil, unprocessable("Destinations cannot be inserted when there are weighted destinations already configured.")
		}
		rt.destinations = cc.mergeMappings(rt.destinations, rt.destinations, wanted)
	}
	cc.recordMappingChanges(rt, before, rt.destinations)
	return presentDestinations(rt), nil
}

// recordMappingChanges records what UpdateRouteDestinations records: one
// `audit.app.unmap-route` per removed destination, then one
// `audit.app.map-route` per added one (a weight change is both). The
// route's own `updated_at` does not move. The caller holds cc.mu.
func (cc *CloudController) recordMappingChanges(rt *route, before, after []destination) {
	sameGUID := func(d destination) func(destination) bool {
		return func(o destination) bool { return o.guid == d.guid }
	}
	for _, d := range before {
		if !slices.ContainsFunc(after, sameGUID(d)) {
			cc.recordMapping(eventUnmapRoute, rt, d)
		}
	}
	for _, d := range after {
		if !slices.ContainsFunc(before, sameGUID(d)) {
			cc.recordMapping(eventMapRoute, rt, d)
		}
	}
}

func (cc *CloudController) recordMapping(eventType string, rt *route, d destination) {
	t := target{guid: d.appGUID, kind: "app"}
	spaceGUID := rt.spaceGUID
	if a := cc.apps[d.appGUID]; a != nil {
		t.name, spaceGUID = a.name, a.spaceGUID
	}
	data := map[string]any{
		"route_guid": rt.guid, "app_port": d.port, "route_mapping_guid": d.guid, "destination_guid": d.guid,
		"process_type": d.processType, "weight": d.weight, "protocol": d.protocol,
	}
	if rt.loadBalancing != "" {
		data["route_options"] = map[string]any{"loadbalancing": rt.loadBalancing}
	}
	cc.record(eventType, t, spaceGUID, cc.orgOf(spaceGUID), data)
}

// DeleteDestination removes one destination from a route, as
// `DELETE /v3/routes/:guid/destinations/:destination_guid` does: not a
// weighted one, and recording `audit.app.unmap-route`. The error is an
// *APIError.
func (cc *CloudController) DeleteDestination(routeGUID, destinationGUID string) error {
	if err := cc.deleteDestination(routeGUID, destinationGUID); err != nil {
		return err
	}
	return nil
}

func (cc *CloudController) deleteDestination(routeGUID, destinationGUID string) *APIError {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	rt := cc.findRoute(routeGUID)
	if rt == nil {
		return errRouteNotFound
	}
	i := slices.IndexFunc(rt.destinations, func(d destination) bool { return d.guid == destinationGUID })
	if i < 0 {
		return unprocessable("Unable to unmap route from destination. Ensure the route has a destination with this guid.")
	}
	if rt.destinations[i].weight != nil {
		return unprocessable("Weighted destinations cannot be deleted individually.")
	}
	before := rt.destinations
	rt.destinations = slices.Delete(slices.Clone(before), i, i+1)
	cc.recordMappingChanges(rt, before, rt.destinations)
	return nil
}

func (cc *CloudController) serveDeleteDestination(w http.ResponseWriter, r *http.Request) {
	if apiErr := cc.deleteDestination(r.PathValue("guid"), r.PathValue("destination")); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (cc *CloudController) checkAppsExist(inputs []destinationInput) *APIError {
	var missing []string
	for _, in := range inputs {
		if _, ok := cc.apps[in.appGUID]; !ok && !slices.Contains(missing, in.appGUID) {
			missing = append(missing, in.appGUID)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return unprocessable(fmt.Sprintf(`App(s) with guid(s) "%s" do not exist or you do not have access.`, strings.Join(missing, `", "`)))
}

func withDefaults(in destinationInput) destination {
	d := destination{appGUID: in.appGUID, processType: in.processType, protocol: in.protocol, port: 8080, weight: in.weight}
	if d.processType == "" {
		d.processType = "web"
	}
	if d.protocol == "" {
		d.protocol = "http1"
	}
	if in.port != nil {
		d.port = *in.port
	}
	return d
}

// sameMapping reports whether two destinations are the same route mapping
// (Cloud Controller compares app, process type, port and weight).
func (d destination) sameMapping(o destination) bool {
	return d.appGUID == o.appGUID && d.processType == o.processType && d.port == o.port &&
		d.protocol == o.protocol && (d.weight == nil) == (o.weight == nil) && (d.weight == nil || *d.weight == *o.weight)
}

// mergeMappings appends wanted to base, keeping the GUID and creation time
// of a mapping that already exists among existing, and skipping wanted
// mappings already in base. The caller holds cc.mu.
func (cc *CloudController) mergeMappings(base, existing, wanted []destination) []destination {
	out := slices.Clone(base)
	for _, w := range wanted {
		if slices.ContainsFunc(base, w.sameMapping) {
			continue
		}
		if i := slices.IndexFunc(existing, w.sameMapping); i >= 0 {
			w.guid, w.createdAt = existing[i].guid, existing[i].createdAt
		} else {
			w.guid, w.createdAt = newGUID(), cc.now()
		}
		out = append(out, w)
	}
	return out
}

type destinationsResponse struct {
	Destinations []destinationJSON `json:"destinations"`
	Links        map[string]href   `json:"links"`
}

func destinationsLinks(base, routeGUID string) map[string]href {
	return map[string]href{
		"self":  {base + "/v3/routes/" + routeGUID + "/destinations"},
		"route": {base + "/v3/routes/" + routeGUID},
	}
}

func (cc *CloudController) getDestinations(w http.ResponseWriter, r *http.Request) {
	base := cc.base(r)
	guid := r.PathValue("guid")
	cc.mu.Lock()
	rt := cc.findRoute(guid)
	var dests []destinationJSON
	if rt != nil {
		dests = presentDestinations(rt)
	}
	cc.mu.Unlock()
	if rt == nil {
		writeError(w, errRouteNotFound)
		return
	}
	writeJSON(w, http.StatusOK, destinationsResponse{Destinations: dests, Links: destinationsLinks(base, guid)})
}

func (cc *CloudController) replaceDestinations(w http.ResponseWriter, r *http.Request) {
	cc.serveChangeDestinations(w, r, true)
}

func (cc *CloudController) insertDestinations(w http.ResponseWriter, r *http.Request) {
	cc.serveChangeDestinations(w, r, false)
}

// maxBodyBytes bounds a request body the stand-in reads.
const maxBodyBytes = 1 << 20

func (cc *CloudController) serveChangeDestinations(w http.ResponseWriter, r *http.Request, replace bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		writeError(w, errParse)
		return
	}
	inputs, apiErr := decodeDestinations(body, replace)
	if apiErr == nil {
		var dests []destinationJSON
		if dests, apiErr = cc.changeDestinations(r.PathValue("guid"), inputs, replace); apiErr == nil {
			writeJSON(w, http.StatusOK, destinationsResponse{Destinations: dests, Links: destinationsLinks(cc.base(r), r.PathValue("guid"))})
			return
		}
	}
	writeError(w, apiErr)
}
