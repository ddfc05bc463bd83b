package meshctl

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Cloud Controller's weight rules (cloud_controller_ng
// route_update_destinations_message.rb; cf-contracts.md §4): all
// destinations weighted or none, each 1..100, summing to 100.
const (
	MinWeight   = 1
	MaxWeight   = 100
	TotalWeight = 100
	// DefaultProcessType is the process type Cloud Controller gives a
	// destination that names none.
	DefaultProcessType = "web"
)

// Route is a Cloud Controller HTTP route.
type Route struct {
	GUID string `json:"guid"`
	// URL is host.domain[/path], as `cf routes` shows it.
	URL string `json:"url"`
}

// Destination is one destination of a route as Cloud Controller holds it.
type Destination struct {
	GUID        string `json:"guid,omitempty"`
	AppGUID     string `json:"app_guid"`
	AppName     string `json:"app_name,omitempty"`
	ProcessType string `json:"process_type"`
	// Port is the app's port, 0 when Cloud Controller chooses (new
	// destinations).
	Port     int    `json:"port,omitempty"`
	Protocol string `json:"protocol,omitempty"`
	// Weight is nil on an unweighted route.
	Weight *int `json:"weight"`
}

// label names a destination for a person: its app (name, else GUID) and,
// when it says more, process type and port.
func (d Destination) label() string {
	name := d.AppName
	if name == "" {
		name = d.AppGUID
	}
	detail := d.ProcessType
	if d.Port != 0 {
		detail += ", port " + strconv.Itoa(d.Port)
	}
	return fmt.Sprintf("%s (%s)", name, detail)
}

// WeightArg is one `APP[:PROCESS_TYPE]=WEIGHT` argument of `weights set`.
type WeightArg struct {
	// Selector is everything before `=`: an app name or GUID, possibly
	// followed by `:PROCESS_TYPE`.
	Selector string
	// App and ProcessType split Selector at its last `:` (ProcessType is
	// empty when there is none). App names may contain `:`, so resolution
	// tries the whole Selector as an app first.
	App, ProcessType string
	// Weight is 0..100; 0 unmaps the destination.
	Weight int
}

var weightPattern = regexp.MustCompile(`^[0-9]{1,3}$`)

// ParseWeightArg reads `APP[:PROCESS_TYPE]=WEIGHT`.
func ParseWeightArg(arg string) (WeightArg, error) {
	i := strings.LastIndex(arg, "=")
	if i <= 0 {
		return WeightArg{}, fmt.Errorf("%q is not APP=WEIGHT", arg)
	}
	sel, raw := arg[:i], arg[i+1:]
	if !weightPattern.MatchString(raw) {
		return WeightArg{}, fmt.Errorf("weight %q of %s is not a whole number from %d to %d (0 unmaps the app)", raw, sel, MinWeight, MaxWeight)
	}
	w, _ := strconv.Atoi(raw)
	if w > MaxWeight {
		return WeightArg{}, fmt.Errorf("weight %d of %s is above %d", w, sel, MaxWeight)
	}
	a := WeightArg{Selector: sel, App: sel, Weight: w}
	if j := strings.LastIndex(sel, ":"); j > 0 && j < len(sel)-1 {
		a.App, a.ProcessType = sel[:j], sel[j+1:]
	}
	return a, nil
}

// Assignment is a weight for one app process, its app resolved to a GUID.
type Assignment struct {
	AppGUID, AppName string
	// ProcessType is empty when the argument named none: then the app must
	// have exactly one destination on the route, or gets a new `web` one.
	ProcessType string
	Weight      int
}

// Plan is a change of a route's destinations, computed before anything is
// sent: Before is what Cloud Controller holds, After what the PATCH sends.
type Plan struct {
	Route  Route         `json:"route"`
	Before []Destination `json:"before"`
	After  []Destination `json:"after"`
	// Added and Removed index After and Before: destinations mapped or
	// unmapped by the change.
	Added   []int `json:"-"`
	Removed []int `json:"-"`
}

// PlanWeights applies assignments to a route's current destinations. Every
// current destination must be given a weight, 0 unmapping it; an app not
// mapped yet is added. The result obeys Cloud Controller's rules, and every
// way to break them is named in the error.
func PlanWeights(route Route, current []Destination, assignments []Assignment) (Plan, error) {
	if len(assignments) == 0 {
		return Plan{}, errors.New("no weights given: set takes APP=WEIGHT for every destination of the route")
	}
	weights, added, err := assignWeights(route, current, assignments)
	if err != nil {
		return Plan{}, err
	}
	if missing := unweighted(current, weights); len(missing) > 0 {
		return Plan{}, fmt.Errorf("every destination of %s needs a weight (0 unmaps it); missing: %s", route.URL, strings.Join(missing, ", "))
	}
	p := Plan{Route: route, Before: current}
	for i, d := range current {
		if *weights[i] == 0 {
			p.Removed = append(p.Removed, i)
			continue
		}
		d.Weight = weights[i]
		p.After = append(p.After, d)
	}
	for _, d := range added {
		p.Added = append(p.Added, len(p.After))
		p.After = append(p.After, d)
	}
	if len(p.After) == 0 {
		return Plan{}, fmt.Errorf("every destination of %s would be unmapped: at least one needs a weight from %d to %d", route.URL, MinWeight, MaxWeight)
	}
	return p, CheckWeights(p.After)
}

// assignWeights gives each current destination its weight (nil when the
// assignments name none) and returns the new destinations.
func assignWeights(route Route, current []Destination, assignments []Assignment) ([]*int, []Destination, error) {
	weights := make([]*int, len(current))
	var added []Destination
	for _, a := range assignments {
		i, err := matchDestination(route, current, a)
		if err != nil {
			return nil, nil, err
		}
		if i < 0 {
			if a.Weight == 0 {
				return nil, nil, fmt.Errorf("%s is not mapped to %s: weight 0 has nothing to unmap", appLabel(a), route.URL)
			}
			d := newDestination(a)
			if containsDestination(added, d) {
				return nil, nil, fmt.Errorf("%s is given a weight twice", d.label())
			}
			added = append(added, d)
			continue
		}
		if weights[i] != nil {
			return nil, nil, fmt.Errorf("%s is given a weight twice", current[i].label())
		}
		w := a.Weight
		weights[i] = &w
	}
	return weights, added, nil
}

// matchDestination finds the current destination an assignment is for: -1
// when the app has none (a new destination).
func matchDestination(route Route, current []Destination, a Assignment) (int, error) {
	var found []int
	for i, d := range current {
		if d.AppGUID == a.AppGUID && (a.ProcessType == "" || d.ProcessType == a.ProcessType) {
			found = append(found, i)
		}
	}
	switch {
	case len(found) <= 1:
		if len(found) == 0 {
			return -1, nil
		}
		return found[0], nil
	case a.ProcessType == "":
		var labels []string
		for _, i := range found {
			labels = append(labels, current[i].label())
		}
		return 0, fmt.Errorf("%s has %d destinations on %s (%s): name one as %s:PROCESS_TYPE=WEIGHT",
			appLabel(a), len(found), route.URL, strings.Join(labels, ", "), appName(a))
	default:
		return 0, fmt.Errorf("%s has %d destinations of process type %s on %s (one per port): meshctl cannot tell them apart; use `cf curl -X PATCH /v3/routes/%s/destinations`",
			appLabel(a), len(found), a.ProcessType, route.URL, route.GUID)
	}
}

func newDestination(a Assignment) Destination {
	w := a.Weight
	pt := a.ProcessType
	if pt == "" {
		pt = DefaultProcessType
	}
	return Destination{AppGUID: a.AppGUID, AppName: a.AppName, ProcessType: pt, Weight: &w}
}

func containsDestination(ds []Destination, d Destination) bool {
	for _, o := range ds {
		if o.AppGUID == d.AppGUID && o.ProcessType == d.ProcessType {
			return true
		}
	}
	return false
}

func unweighted(current []Destination, weights []*int) []string {
	var missing []string
	for i, w := range weights {
		if w == nil {
			missing = append(missing, current[i].label())
		}
	}
	return missing
}

func appName(a Assignment) string {
	if a.AppName != "" {
		return a.AppName
	}
	return a.AppGUID
}

func appLabel(a Assignment) string {
	if a.ProcessType == "" {
		return "app " + appName(a)
	}
	return fmt.Sprintf("app %s (%s)", appName(a), a.ProcessType)
}

// PlanReset makes a route unweighted again, keeping every destination as it
// is (app, process type, port, protocol), so `cf map-route` and
// `cf unmap-route` work on it.
func PlanReset(route Route, current []Destination) (Plan, error) {
	if len(current) == 0 {
		return Plan{}, fmt.Errorf("%s has no destinations: nothing to reset", route.URL)
	}
	p := Plan{Route: route, Before: current}
	for _, d := range current {
		d.Weight = nil
		p.After = append(p.After, d)
	}
	return p, nil
}

// Weighted reports whether destinations carry weights.
func Weighted(ds []Destination) bool {
	for _, d := range ds {
		if d.Weight != nil {
			return true
		}
	}
	return false
}

// CheckWeights applies Cloud Controller's rules to destinations as a
// `PATCH /v3/routes/:guid/destinations` would send them.
func CheckWeights(ds []Destination) error {
	weighted, sum := 0, 0
	for _, d := range ds {
		if d.Weight == nil {
			continue
		}
		weighted++
		sum += *d.Weight
		if *d.Weight < MinWeight || *d.Weight > MaxWeight {
			return fmt.Errorf("weight %d of %s is outside %d..%d", *d.Weight, d.label(), MinWeight, MaxWeight)
		}
	}
	switch {
	case weighted == 0:
		return nil
	case weighted < len(ds):
		return errors.New("either every destination of a route has a weight or none has (Cloud Controller's rule)")
	case sum != TotalWeight:
		return fmt.Errorf("the weights sum to %d; Cloud Controller needs them to sum to %d", sum, TotalWeight)
	}
	return nil
}

// Shares returns each destination's share of the route's traffic in
// percent, as Cloud Controller's weights say (equal shares when
// unweighted). The gateways also leave out destinations without running
// instances (ADR 5); `meshctl routes` shows that.
func Shares(ds []Destination) []float64 {
	shares := make([]float64, len(ds))
	total := 0
	for _, d := range ds {
		if d.Weight != nil {
			total += *d.Weight
		}
	}
	for i, d := range ds {
		switch {
		case total == 0:
			shares[i] = 100 / float64(len(ds))
		case d.Weight != nil:
			shares[i] = 100 * float64(*d.Weight) / float64(total)
		}
	}
	return shares
}
