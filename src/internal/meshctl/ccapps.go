package meshctl

import (
	"context"
	"fmt"
	"regexp"

	"github.com/cloudfoundry/go-cfclient/v3/client"
)

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// app is an app a weight argument names.
type app struct{ guid, name string }

// resolveApps turns each argument's app into a GUID. An app is looked for
// among the route's own apps first (by GUID or name: a route may be shared
// with other spaces), then by name in the targeted space, then by GUID
// anywhere the user may see. `APP:PROCESS_TYPE` is read as an app whose
// name contains `:` only when such an app exists.
func (cc *cloudController) resolveApps(ctx context.Context, route Route, current []Destination, args []WeightArg) ([]Assignment, error) {
	out := make([]Assignment, len(args))
	var pending []int
	for i, a := range args {
		found, processType, err := fromRoute(route, current, a)
		if err != nil {
			return nil, err
		}
		if found == nil {
			pending = append(pending, i)
			continue
		}
		out[i] = Assignment{AppGUID: found.guid, AppName: found.name, ProcessType: processType, Weight: a.Weight}
	}
	if len(pending) == 0 {
		return out, nil
	}
	known, err := cc.lookUpApps(ctx, args, pending)
	if err != nil {
		return nil, err
	}
	for _, i := range pending {
		a := args[i]
		switch {
		case known[a.Selector] != nil:
			out[i] = Assignment{AppGUID: known[a.Selector].guid, AppName: known[a.Selector].name, Weight: a.Weight}
		case a.ProcessType != "" && known[a.App] != nil:
			out[i] = Assignment{AppGUID: known[a.App].guid, AppName: known[a.App].name, ProcessType: a.ProcessType, Weight: a.Weight}
		default:
			return nil, cc.notFound(route, a)
		}
	}
	return out, nil
}

// fromRoute finds an argument's app among the route's destinations.
func fromRoute(route Route, current []Destination, a WeightArg) (*app, string, error) {
	found, err := routeApp(route, current, a.Selector)
	if found != nil || err != nil || a.ProcessType == "" {
		return found, "", err
	}
	found, err = routeApp(route, current, a.App)
	return found, a.ProcessType, err
}

// routeApp is the route's app whose GUID or name is s.
func routeApp(route Route, current []Destination, s string) (*app, error) {
	var found *app
	for _, d := range current {
		if d.AppGUID != s && d.AppName != s {
			continue
		}
		if found != nil && found.guid != d.AppGUID {
			return nil, fmt.Errorf("two apps named %s are mapped to %s (%s, %s): give the GUID of the one you mean", s, route.URL, found.guid, d.AppGUID)
		}
		found = &app{guid: d.AppGUID, name: d.AppName}
	}
	return found, nil
}

// lookUpApps asks Cloud Controller for the pending arguments' apps: names
// in the targeted space, GUIDs anywhere. The result is keyed by the name or
// GUID asked for.
func (cc *cloudController) lookUpApps(ctx context.Context, args []WeightArg, pending []int) (map[string]*app, error) {
	var names, guids []string
	for _, i := range pending {
		for _, s := range []string{args[i].Selector, args[i].App} {
			if guidPattern.MatchString(s) {
				guids = append(guids, s)
			} else {
				names = append(names, s)
			}
		}
	}
	known := map[string]*app{}
	if len(names) > 0 && cc.target.SpaceFields.GUID != "" {
		opts := client.NewAppListOptions()
		opts.Names.EqualTo(unique(names)...)
		opts.SpaceGUIDs.EqualTo(cc.target.SpaceFields.GUID)
		apps, err := cc.client.Applications.ListAll(ctx, opts)
		if err != nil {
			return nil, ccError("looking up apps in space "+cc.target.SpaceFields.Name, err)
		}
		for _, a := range apps {
			known[a.Name] = &app{guid: a.GUID, name: a.Name}
		}
	}
	if len(guids) > 0 {
		opts := client.NewAppListOptions()
		opts.GUIDs.EqualTo(unique(guids)...)
		apps, err := cc.client.Applications.ListAll(ctx, opts)
		if err != nil {
			return nil, ccError("looking up apps by GUID", err)
		}
		for _, a := range apps {
			known[a.GUID] = &app{guid: a.GUID, name: a.Name}
		}
	}
	return known, nil
}

func (cc *cloudController) notFound(route Route, a WeightArg) error {
	if guidPattern.MatchString(a.App) {
		return fmt.Errorf("no app with GUID %s is mapped to %s or visible to you", a.App, route.URL)
	}
	if cc.target.SpaceFields.GUID == "" {
		return fmt.Errorf("app %s is not mapped to %s and no space is targeted to look it up in: run `cf target -s SPACE` or give the app's GUID", a.App, route.URL)
	}
	return fmt.Errorf("app %s is neither mapped to %s nor in space %s (give the GUID of an app in another space)", a.App, route.URL, cc.target.SpaceFields.Name)
}
