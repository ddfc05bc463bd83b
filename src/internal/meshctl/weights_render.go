package meshctl

import (
	"fmt"
	"io"
	"math"
	"strconv"
)

// DestinationView is a destination with its share of the route's traffic,
// for --json.
type DestinationView struct {
	Destination
	// Share is the percentage of the route's traffic Cloud Controller's
	// weights give the destination.
	Share float64 `json:"share"`
}

// RouteWeights is `weights get --json`.
type RouteWeights struct {
	Route        Route             `json:"route"`
	Weighted     bool              `json:"weighted"`
	Destinations []DestinationView `json:"destinations"`
}

// PlanResult is `weights set|reset --json`.
type PlanResult struct {
	Route  Route             `json:"route"`
	Before []DestinationView `json:"before"`
	After  []DestinationView `json:"after"`
	// Applied is false for --dry-run and when nothing needed changing.
	Applied bool `json:"applied"`
	// Unmapped are the destinations the change removes.
	Unmapped []Destination `json:"unmapped,omitempty"`
}

func views(ds []Destination) []DestinationView {
	shares := Shares(ds)
	out := make([]DestinationView, len(ds))
	for i, d := range ds {
		out[i] = DestinationView{Destination: d, Share: round1(shares[i])}
	}
	return out
}

func newRouteWeights(route Route, ds []Destination) RouteWeights {
	return RouteWeights{Route: route, Weighted: Weighted(ds), Destinations: views(ds)}
}

func newPlanResult(p Plan, applied bool) PlanResult {
	r := PlanResult{Route: p.Route, Before: views(p.Before), After: views(p.After), Applied: applied}
	for _, i := range p.Removed {
		r.Unmapped = append(r.Unmapped, p.Before[i])
	}
	return r
}

// RenderWeights prints a route's destinations, their weights and shares.
func RenderWeights(w io.Writer, route Route, ds []Destination) error {
	if _, err := fmt.Fprintf(w, "Route %s (%s): %s\n\n", route.URL, route.GUID, weightState(ds)); err != nil {
		return err
	}
	var tab table
	tab.row("APP", "APP GUID", "PROCESS", "PORT", "PROTOCOL", "WEIGHT", "SHARE")
	shares := Shares(ds)
	for i, d := range ds {
		tab.row(orDash(d.AppName), d.AppGUID, d.ProcessType, intOrDash(d.Port), orDash(d.Protocol), weightOrDash(d.Weight), percent(shares[i]))
	}
	if err := tab.write(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s\n", mapRouteNote(route, ds))
	return err
}

// RenderPlan prints the split a change gives before it is sent: each
// destination's share before and after, mapped and unmapped ones marked.
func RenderPlan(w io.Writer, p Plan) error {
	if _, err := fmt.Fprintf(w, "Route %s (%s): %s now, %s after\n\n", p.Route.URL, p.Route.GUID, weightState(p.Before), weightState(p.After)); err != nil {
		return err
	}
	var tab table
	tab.row("APP", "PROCESS", "PORT", "BEFORE", "AFTER")
	before, after := Shares(p.Before), Shares(p.After)
	next := 0
	for i, d := range p.Before {
		share := "unmapped"
		if !containsIndex(p.Removed, i) {
			share = percent(after[next])
			next++
		}
		tab.row(orDash(d.AppName), d.ProcessType, intOrDash(d.Port), percent(before[i]), share)
	}
	for _, i := range p.Added {
		d := p.After[i]
		tab.row(orDash(d.AppName), d.ProcessType, intOrDash(d.Port), "-", percent(after[i])+" (new)")
	}
	return tab.write(w)
}

func weightState(ds []Destination) string {
	if Weighted(ds) {
		return "weighted"
	}
	return "unweighted"
}

// mapRouteNote tells a developer what the route's state means for the cf
// CLI.
func mapRouteNote(route Route, ds []Destination) string {
	if Weighted(ds) {
		return fmt.Sprintf("cf map-route and cf unmap-route fail on this route while it is weighted; `meshctl weights reset %s` makes it unweighted.", route.URL)
	}
	return "Every destination gets an equal share; cf map-route and cf unmap-route work on this route."
}

func containsIndex(is []int, i int) bool {
	for _, j := range is {
		if j == i {
			return true
		}
	}
	return false
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// percent prints a share to one decimal at most: 90%, 33.3%.
func percent(f float64) string {
	return strconv.FormatFloat(round1(f), 'f', -1, 64) + "%"
}

func weightOrDash(w *int) string {
	if w == nil {
		return "-"
	}
	return strconv.Itoa(*w)
}

func intOrDash(i int) string {
	if i == 0 {
		return "-"
	}
	return strconv.Itoa(i)
}
