package testbed

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/routeemitter"
	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
)

// Route is a Cloud Controller route.
type Route struct {
	GUID, Host, Path string
	// Internal routes are on the internal domain: mesh clients only.
	Internal bool
}

// URI is host and path, as NATS registrations carry it.
func (r Route) URI() string { return r.Host + r.Path }

// CreateRoute creates a route `<host>.<domain><path>` on the apps domain,
// or the internal domain, without destinations.
func (f *Foundation) CreateRoute(host, path string, internal bool) Route {
	domainGUID, domain := f.appsDomain, f.opts.AppsDomain
	if internal {
		domainGUID, domain = f.internalDomain, f.opts.InternalDomain
	}
	guid := f.cc.AddRoute(host, domainGUID, path)
	return Route{GUID: guid, Host: host + "." + domain, Path: path, Internal: internal}
}

// MapRoute maps a route to apps, as `cf map-route` does (an unweighted
// destination on the container port), waits until the copilot has read the
// mapping from Cloud Controller, then has route-emitter register every
// instance for it: on router.register, or for an internal route on
// service-discovery.register.
//
// Decision: Cloud Controller first (ADR 14). A registration that reaches
// the copilot before the mapping makes it serve a NATS-only route for a
// moment, whose clusters are renamed once the mapping arrives; grpc-go
// clients can fail a call on such a rename. Scenarios measure the mapped
// route, not that moment.
func (f *Foundation) MapRoute(ctx context.Context, route Route, apps ...*App) error {
	dests := make([]cloudcontroller.Destination, 0, len(apps))
	guids := make([]string, 0, len(apps))
	for _, app := range apps {
		dests = append(dests, cloudcontroller.Destination{AppGUID: app.GUID, Port: int(f.containerPort)})
		guids = append(guids, app.GUID)
	}
	if err := f.cc.InsertDestinations(route.GUID, dests); err != nil {
		return fmt.Errorf("mapping %s: %w", route.URI(), err)
	}
	if err := f.awaitMapping(ctx, route, guids); err != nil {
		return err
	}
	for _, app := range apps {
		app.mu.Lock()
		app.routes = append(app.routes, route)
		instances := append([]*Instance(nil), app.instances...)
		app.mu.Unlock()
		for _, in := range instances {
			f.register(in, route)
		}
	}
	f.logger.Info("route-mapped", lager.Data{"route": route.URI(), "apps": len(apps)})
	return nil
}

// awaitMapping polls the copilot's routing table until the route has a
// destination for every app.
func (f *Foundation) awaitMapping(ctx context.Context, route Route, appGUIDs []string) error {
	ctx, cancel := context.WithTimeout(ctx, f.opts.ReadyTimeout)
	defer cancel()
	for {
		body, err := f.copilot.Debug(ctx, "/debug/routes")
		if err == nil && hasDestinations(body, route.GUID, appGUIDs) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("mapping %s: the copilot has not read it from Cloud Controller (%v, last error %v)", route.URI(), ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// hasDestinations reports whether a routing table (the copilot's
// /debug/routes) holds the route with a destination for every app.
func hasDestinations(body []byte, routeGUID string, appGUIDs []string) bool {
	var table routingtable.Table
	if routeGUID == "" || json.Unmarshal(body, &table) != nil {
		return false
	}
	for _, r := range table.Routes {
		if r.GUID != routeGUID {
			continue
		}
		for _, app := range appGUIDs {
			if !slices.ContainsFunc(r.Destinations, func(d routingtable.Destination) bool { return d.AppGUID == app }) {
				return false
			}
		}
		return true
	}
	return false
}

func (f *Foundation) register(in *Instance, route Route) {
	inst := routeemitter.AppInstance{
		CellIP: in.IP, HostPort: f.containerPort, ContainerIP: in.IP,
		AppGUID: in.app.GUID, AppName: in.app.Name, ProcessGUID: in.app.ProcessGUID,
		InstanceGUID: in.GUID, Index: in.Index,
	}
	reg := registration{internal: route.Internal}
	if route.Internal {
		reg.message = routeemitter.NewInternalRouteMessage(inst, route.Host)
		f.emitter.RegisterInternal(reg.message)
	} else {
		reg.message = routeemitter.NewAppInstanceMessage(inst, route.URI())
		f.emitter.Register(reg.message)
	}
	in.app.mu.Lock()
	in.registrations[route.GUID] = reg
	in.app.mu.Unlock()
}

func (f *Foundation) unregister(in *Instance, routeGUID string) {
	in.app.mu.Lock()
	reg, ok := in.registrations[routeGUID]
	delete(in.registrations, routeGUID)
	in.app.mu.Unlock()
	switch {
	case !ok:
	case reg.internal:
		f.emitter.UnregisterInternal(reg.message)
	default:
		f.emitter.Unregister(reg.message)
	}
}

// UnmapRoute removes app's destination from the route through the Cloud
// Controller API, as `cf unmap-route` does, and has route-emitter
// unregister the app's instances for it.
func (f *Foundation) UnmapRoute(ctx context.Context, route Route, app *App) error {
	client, err := f.CFClient()
	if err != nil {
		return err
	}
	dests, err := client.Routes.GetDestinations(ctx, route.GUID)
	if err != nil {
		return fmt.Errorf("destinations of %s: %w", route.URI(), err)
	}
	removed := 0
	for _, d := range dests.Destinations {
		if d.App.GUID != nil && *d.App.GUID == app.GUID && d.GUID != nil {
			if err := client.Routes.RemoveDestination(ctx, route.GUID, *d.GUID); err != nil {
				return fmt.Errorf("unmapping %s from %s: %w", app.Name, route.URI(), err)
			}
			removed++
		}
	}
	if removed == 0 {
		return fmt.Errorf("unmapping %s from %s: the route has no destination for the app", app.Name, route.URI())
	}
	app.mu.Lock()
	instances := append([]*Instance(nil), app.instances...)
	app.routes = slices.DeleteFunc(app.routes, func(r Route) bool { return r.GUID == route.GUID })
	app.mu.Unlock()
	for _, in := range instances {
		f.unregister(in, route.GUID)
	}
	f.logger.Info("route-unmapped", lager.Data{"route": route.URI(), "app": app.Name})
	return nil
}
