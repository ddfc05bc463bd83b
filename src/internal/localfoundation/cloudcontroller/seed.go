package cloudcontroller

import (
	"fmt"
	"maps"
)

// Option places or configures what AddApp and AddRoute create.
type Option func(*placement)

type placement struct {
	spaceGUID string
	state     string
}

// InSpace puts an app or a route into the given space instead of
// DefaultSpaceGUID. The space is not checked, so tests can model dangling
// data.
func InSpace(spaceGUID string) Option {
	return func(p *placement) { p.spaceGUID = spaceGUID }
}

// WithState creates an app in the given state (AppStarted or AppStopped)
// instead of AppStarted. Routes ignore it.
func WithState(state string) Option {
	return func(p *placement) { p.state = state }
}

func place(opts []Option) placement {
	p := placement{spaceGUID: DefaultSpaceGUID, state: AppStarted}
	for _, o := range opts {
		o(&p)
	}
	return p
}

// AddOrganization adds an organization and returns its GUID.
func (cc *CloudController) AddOrganization(name string) string {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	o := &organization{guid: newGUID(), name: name, createdAt: cc.now()}
	cc.organizations = append(cc.organizations, o)
	cc.record(eventOrganizationCreate, target{o.guid, "organization", name}, "", o.guid, nil)
	return o.guid
}

// AddSpace adds a space to an organization and returns its GUID. The
// organization is not checked.
func (cc *CloudController) AddSpace(name, organizationGUID string) string {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	s := &space{guid: newGUID(), name: name, orgGUID: organizationGUID, createdAt: cc.now()}
	cc.spaces = append(cc.spaces, s)
	cc.record(eventSpaceCreate, target{s.guid, "space", name}, s.guid, organizationGUID, nil)
	return s.guid
}

// AddDomain adds a shared HTTP domain and returns its GUID. Cloud
// Controller records no audit event for domains.
func (cc *CloudController) AddDomain(name string, internal bool) string {
	return cc.addDomain(name, internal, "")
}

// AddPrivateDomain adds an HTTP domain owned by an organization and returns
// its GUID.
func (cc *CloudController) AddPrivateDomain(name, organizationGUID string) string {
	return cc.addDomain(name, false, organizationGUID)
}

func (cc *CloudController) addDomain(name string, internal bool, orgGUID string) string {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	d := &domain{guid: newGUID(), name: name, internal: internal, orgGUID: orgGUID, createdAt: cc.now()}
	cc.domains = append(cc.domains, d)
	return d.guid
}

// AddApp adds an app, STARTED in the default space unless options say
// otherwise, and returns its GUID.
func (cc *CloudController) AddApp(name string, opts ...Option) string {
	p := place(opts)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	now := cc.now()
	a := &app{guid: newGUID(), name: name, spaceGUID: p.spaceGUID, state: p.state, createdAt: now, updatedAt: now}
	cc.apps[a.guid] = a
	cc.appOrder = append(cc.appOrder, a)
	cc.record(eventAppCreate, appTarget(a), a.spaceGUID, cc.orgOf(a.spaceGUID),
		map[string]any{"request": map[string]any{"name": name}})
	return a.guid
}

// AddProcess adds a process of the given type to an app and returns the
// process GUID. The app is not checked, so tests can model dangling data;
// for a known app it records `audit.app.process.create`.
func (cc *CloudController) AddProcess(appGUID, processType string) string {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	p := &process{guid: newGUID(), appGUID: appGUID, processType: processType, version: newGUID(), createdAt: cc.now()}
	cc.processes = append(cc.processes, p)
	if a := cc.apps[appGUID]; a != nil {
		cc.record(eventProcessCreate, appTarget(a), a.spaceGUID, cc.orgOf(a.spaceGUID),
			map[string]any{"process_guid": p.guid, "process_type": processType})
	}
	return p.guid
}

// SetAppState starts (AppStarted) or stops (AppStopped) an app, as
// `POST /v3/apps/:guid/actions/start|stop` does, recording
// `audit.app.start` or `audit.app.stop` even when the state does not change
// (Cloud Controller does too).
func (cc *CloudController) SetAppState(appGUID, state string) error {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if _, err := cc.setAppState(appGUID, state); err != nil {
		return err // not `return cc.setAppState(...)`: a nil *APIError is a non-nil error
	}
	return nil
}

// setAppState changes an app's state; the caller holds cc.mu.
func (cc *CloudController) setAppState(appGUID, state string) (*app, *APIError) {
	a := cc.apps[appGUID]
	if a == nil {
		return nil, errAppNotFound
	}
	eventType := eventAppStart
	switch state {
	case AppStarted:
	case AppStopped:
		eventType = eventAppStop
	default:
		return nil, unprocessable(fmt.Sprintf("State must be %s or %s, not %q", AppStarted, AppStopped, state))
	}
	a.state = state
	a.updatedAt = cc.now()
	cc.record(eventType, appTarget(a), a.spaceGUID, cc.orgOf(a.spaceGUID), map[string]any{})
	return a, nil
}

// AddRoute adds an HTTP route without destinations, in the default space
// unless InSpace says otherwise, and returns its GUID. The domain is not
// checked, so tests can model a route whose domain Cloud Controller does not
// include.
func (cc *CloudController) AddRoute(host, domainGUID, path string, opts ...Option) string {
	p := place(opts)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	now := cc.now()
	r := &route{guid: newGUID(), host: host, path: path, domainGUID: domainGUID, spaceGUID: p.spaceGUID, createdAt: now, updatedAt: now}
	cc.routes = append(cc.routes, r)
	cc.record(eventRouteCreate, routeTarget(r), r.spaceGUID, cc.orgOf(r.spaceGUID),
		map[string]any{"request": map[string]any{"host": host, "path": path, "domain_guid": domainGUID}})
	return r.guid
}

// SetRouteOptions sets a route's `options.loadbalancing` ("" removes it).
func (cc *CloudController) SetRouteOptions(routeGUID, loadBalancing string) error {
	return cc.updateRoute(routeGUID, map[string]any{"options": map[string]any{"loadbalancing": loadBalancing}},
		func(r *route) { r.loadBalancing = loadBalancing })
}

// SetRouteAnnotations replaces a route's metadata annotations.
func (cc *CloudController) SetRouteAnnotations(routeGUID string, annotations map[string]string) error {
	return cc.updateRoute(routeGUID, map[string]any{"metadata": map[string]any{"annotations": annotations}},
		func(r *route) { r.annotations = maps.Clone(annotations) })
}

// updateRoute applies an update as `PATCH /v3/routes/:guid` does, recording
// `audit.route.update` with the request.
func (cc *CloudController) updateRoute(routeGUID string, request map[string]any, update func(*route)) error {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	r := cc.findRoute(routeGUID)
	if r == nil {
		return errRouteNotFound
	}
	update(r)
	r.updatedAt = cc.now()
	cc.record(eventRouteUpdate, routeTarget(r), r.spaceGUID, cc.orgOf(r.spaceGUID), map[string]any{"request": request})
	return nil
}

// DeleteRoute deletes a route, its destinations and its route policies,
// then records `audit.route.delete-request`, in that order, as Cloud
// Controller's v3 RouteDeleteAction does (no unmap events, no route policy
// events). Deleting an unknown route does nothing.
func (cc *CloudController) DeleteRoute(guid string) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for i, r := range cc.routes {
		if r.guid == guid {
			cc.routes = append(cc.routes[:i:i], cc.routes[i+1:]...)
			cc.deletePoliciesOf(guid)
			cc.record(eventRouteDeleteRequest, routeTarget(r), r.spaceGUID, cc.orgOf(r.spaceGUID),
				map[string]any{"request": map[string]any{"recursive": true}})
			return
		}
	}
}

// orgOf is a space's organization, empty for an unknown space; the caller
// holds cc.mu.
func (cc *CloudController) orgOf(spaceGUID string) string {
	if s := cc.findSpace(spaceGUID); s != nil {
		return s.orgGUID
	}
	return ""
}

func appTarget(a *app) target {
	return target{a.guid, "app", a.name}
}

func routeTarget(r *route) target {
	return target{r.guid, "route", r.host}
}
