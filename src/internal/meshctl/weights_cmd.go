package meshctl

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

const weightsUsage = `Usage:
  meshctl weights get ROUTE [--json]
  meshctl weights set ROUTE APP[:PROCESS_TYPE]=WEIGHT ... [--dry-run] [--json]
  meshctl weights reset ROUTE [--dry-run] [--json]

` + weightsNotes

const weightsNotes = `ROUTE is host.domain[/path]. APP is an app name in the targeted space or an
app GUID. Every destination of the route needs a weight (0 unmaps it), each
from 1 to 100, summing to 100. reset makes the route unweighted again, so
cf map-route and cf unmap-route work on it. meshctl uses the cf CLI's login
($CF_HOME/.cf/config.json): run cf login and cf target first.
`

func runWeights(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usagef("weights needs get, set or reset (run `meshctl weights --help`)")
	}
	switch args[0] {
	case "get":
		return runWeightsGet(ctx, env, args[1:])
	case "set":
		return runWeightsSet(ctx, env, args[1:])
	case "reset":
		return runWeightsReset(ctx, env, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(env.Stdout, weightsUsage)
		return errHelpShown
	}
	return usagef("weights has no command %q: get, set or reset", args[0])
}

// weightsCommand is what get, set and reset share: their flags, the route
// and the logged-in Cloud Controller.
type weightsCommand struct {
	flags  *flags
	dryRun *bool
	rest   []string
	ref    RouteRef
}

func parseWeightsCommand(env Env, name, usage string, withDryRun bool, args []string) (*weightsCommand, error) {
	c := &weightsCommand{flags: newFlags("weights "+name, usage).withJSON().withTimeoutFlag().withNotes(weightsNotes)}
	if withDryRun {
		c.dryRun = c.flags.Bool("dry-run", false, "print the resulting split and change nothing")
	}
	positional, err := c.flags.parse(env, args)
	if err != nil {
		return nil, err
	}
	if len(positional) == 0 {
		return nil, usagef("weights %s needs a route: host.domain[/path]", name)
	}
	if c.ref, err = ParseRouteRef(positional[0]); err != nil {
		return nil, usageError{err.Error()}
	}
	c.rest = positional[1:]
	return c, nil
}

// connect logs in and finds the route with its destinations.
func (c *weightsCommand) connect(ctx context.Context, env Env) (*cloudController, Route, []Destination, error) {
	cc, err := connectCloudController(env, *c.flags.timeout)
	if err != nil {
		return nil, Route{}, nil, err
	}
	route, err := cc.findRoute(ctx, c.ref)
	if err != nil {
		return nil, Route{}, nil, err
	}
	ds, err := cc.destinations(ctx, route)
	return cc, route, ds, err
}

func runWeightsGet(ctx context.Context, env Env, args []string) error {
	c, err := parseWeightsCommand(env, "get", "meshctl weights get ROUTE [--json]", false, args)
	if err != nil {
		return err
	}
	if len(c.rest) > 0 {
		return usagef("weights get takes one route, got also %q", c.rest)
	}
	ctx, cancel := c.flags.bound(ctx)
	defer cancel()
	_, route, ds, err := c.connect(ctx, env)
	if err != nil {
		return err
	}
	if c.flags.jsonOutput() {
		return writeJSON(env.Stdout, newRouteWeights(route, ds))
	}
	return RenderWeights(env.Stdout, route, ds)
}

func runWeightsSet(ctx context.Context, env Env, args []string) error {
	c, err := parseWeightsCommand(env, "set", "meshctl weights set ROUTE APP[:PROCESS_TYPE]=WEIGHT ... [--dry-run] [--json]", true, args)
	if err != nil {
		return err
	}
	weightArgs, err := parseWeightArgs(c.rest)
	if err != nil {
		return err
	}
	ctx, cancel := c.flags.bound(ctx)
	defer cancel()
	cc, route, current, err := c.connect(ctx, env)
	if err != nil {
		return err
	}
	assignments, err := cc.resolveApps(ctx, route, current, weightArgs)
	if err != nil {
		return err
	}
	plan, err := PlanWeights(route, current, assignments)
	if err != nil {
		return err
	}
	return c.apply(ctx, env, cc, plan)
}

// parseWeightArgs reads every APP=WEIGHT and checks, before asking Cloud
// Controller anything, what the arguments alone can break: the sum.
func parseWeightArgs(args []string) ([]WeightArg, error) {
	if len(args) == 0 {
		return nil, usagef("weights set needs APP=WEIGHT for every destination of the route")
	}
	out := make([]WeightArg, 0, len(args))
	sum := 0
	for _, raw := range args {
		a, err := ParseWeightArg(raw)
		if err != nil {
			return nil, usageError{err.Error()}
		}
		sum += a.Weight
		out = append(out, a)
	}
	if sum != TotalWeight {
		return nil, usagef("the weights sum to %d; Cloud Controller needs them to sum to %d", sum, TotalWeight)
	}
	return out, nil
}

func runWeightsReset(ctx context.Context, env Env, args []string) error {
	c, err := parseWeightsCommand(env, "reset", "meshctl weights reset ROUTE [--dry-run] [--json]", true, args)
	if err != nil {
		return err
	}
	if len(c.rest) > 0 {
		return usagef("weights reset takes one route, got also %q", c.rest)
	}
	ctx, cancel := c.flags.bound(ctx)
	defer cancel()
	cc, route, current, err := c.connect(ctx, env)
	if err != nil {
		return err
	}
	plan, err := PlanReset(route, current)
	if err != nil {
		return err
	}
	if !Weighted(current) {
		if c.flags.jsonOutput() {
			return writeJSON(env.Stdout, newPlanResult(plan, false))
		}
		_, err := fmt.Fprintf(env.Stdout, "Route %s is unweighted already: nothing to reset.\n", route.URL)
		return err
	}
	return c.apply(ctx, env, cc, plan)
}

// apply prints the plan, then, unless this is a dry run, checks that
// nobody changed the route's destinations since they were read and sends
// the PATCH.
func (c *weightsCommand) apply(ctx context.Context, env Env, cc *cloudController, plan Plan) error {
	asJSON := c.flags.jsonOutput()
	if !asJSON {
		if err := RenderPlan(env.Stdout, plan); err != nil {
			return err
		}
	}
	if *c.dryRun {
		if asJSON {
			return writeJSON(env.Stdout, newPlanResult(plan, false))
		}
		_, err := fmt.Fprintln(env.Stdout, "\nDry run: nothing was changed.")
		return err
	}
	now, err := cc.destinations(ctx, plan.Route)
	if err != nil {
		return err
	}
	if !sameDestinations(now, plan.Before) {
		return fmt.Errorf("the destinations of %s changed while meshctl planned (someone ran cf map-route?): nothing was changed, run it again", plan.Route.URL)
	}
	after, err := cc.replace(ctx, plan.Route, plan.After)
	if err != nil {
		return err
	}
	if asJSON {
		held := plan
		held.After = withNames(after, plan.After)
		return writeJSON(env.Stdout, newPlanResult(held, true))
	}
	if mismatch := differences(plan.After, after); mismatch != "" {
		_, err := fmt.Fprintf(env.Stdout, "\nApplied, but Cloud Controller holds something else than planned: %s\n", mismatch)
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "\nApplied. %s\n", mapRouteNote(plan.Route, after))
	return err
}

// withNames fills in the app names of what Cloud Controller answered from
// the destinations sent.
func withNames(got, sent []Destination) []Destination {
	names := map[string]string{}
	for _, d := range sent {
		names[d.AppGUID] = d.AppName
	}
	out := append([]Destination(nil), got...)
	for i := range out {
		out[i].AppName = names[out[i].AppGUID]
	}
	return out
}

// key identifies a destination across reads: Cloud Controller may give a
// replaced destination a new GUID.
type key struct {
	app, processType string
	port             int
	protocol         string
}

func keyOf(d Destination) key { return key{d.AppGUID, d.ProcessType, d.Port, d.Protocol} }

func sameDestinations(a, b []Destination) bool {
	weights := func(ds []Destination) map[key]*int {
		m := map[key]*int{}
		for _, d := range ds {
			m[keyOf(d)] = d.Weight
		}
		return m
	}
	return len(a) == len(b) && reflect.DeepEqual(weights(a), weights(b))
}

// differences names what Cloud Controller holds that the plan did not say,
// comparing app process and weight (Cloud Controller fills in ports and
// protocols of new destinations).
func differences(planned, got []Destination) string {
	want := map[string]string{}
	for _, d := range planned {
		want[d.AppGUID+"/"+d.ProcessType] = weightOrDash(d.Weight)
	}
	var diffs []string
	for _, d := range got {
		k := d.AppGUID + "/" + d.ProcessType
		if w, ok := want[k]; !ok || w != weightOrDash(d.Weight) {
			diffs = append(diffs, fmt.Sprintf("%s weight %s", d.label(), weightOrDash(d.Weight)))
		}
		delete(want, k)
	}
	for k := range want {
		diffs = append(diffs, k+" missing")
	}
	sort.Strings(diffs)
	return strings.Join(diffs, ", ")
}
