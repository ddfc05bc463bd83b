package cloudcontroller

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/cloudfoundry/go-cfclient/v3/resource"
)

// Audit event types that can change routing (cloud_controller_ng
// app/repositories/event_types.rb), by what they target.
const (
	// Target: the route.
	EventRouteCreate        = "audit.route.create"
	EventRouteUpdate        = "audit.route.update" // options, annotations
	EventRouteDeleteRequest = "audit.route.delete-request"
	EventRouteTransferOwner = "audit.route.transfer-owner" // new space
	// Target: the app; data.route_guid names the route. Every destination
	// change (insert, replace, delete, so also a weight change) records one
	// per destination removed or added, while the route's updated_at stays.
	EventAppMapRoute   = "audit.app.map-route"
	EventAppUnmapRoute = "audit.app.unmap-route"
	// Target: the app, whose state or processes changed.
	EventAppStart            = "audit.app.start"
	EventAppStop             = "audit.app.stop"
	EventAppRestart          = "audit.app.restart"
	EventAppUpdate           = "audit.app.update" // v2 `state` changes record only this
	EventAppDeleteRequest    = "audit.app.delete-request"
	EventAppProcessCreate    = "audit.app.process.create"
	EventAppProcessDelete    = "audit.app.process.delete"
	EventAppDropletMapped    = "audit.app.droplet.mapped"
	EventAppDeploymentCreate = "audit.app.deployment.create"
	EventAppDeploymentCancel = "audit.app.deployment.cancel"
	// Target: the space or organization; deleting one deletes its routes
	// in the same transaction, without route events.
	EventSpaceDeleteRequest        = "audit.space.delete-request"
	EventOrganizationDeleteRequest = "audit.organization.delete-request"
	// Target: the route policy (RFC-0055; app/repositories/
	// route_policy_event_repository.rb). A create's data is
	// `{"request":{"source":…,"route_guid":…}}`; a delete's is empty, and is
	// recorded in the deleting transaction, so once visible the policy is
	// gone. Deleting a route deletes its policies without these events.
	// (`audit.route_policy.update` changes metadata only, not routing.)
	EventRoutePolicyCreate = "audit.route_policy.create"
	EventRoutePolicyDelete = "audit.route_policy.delete"
)

var routeEvents = []string{EventRouteCreate, EventRouteUpdate, EventRouteDeleteRequest, EventRouteTransferOwner}

var mappingEvents = []string{EventAppMapRoute, EventAppUnmapRoute}

var appEvents = []string{
	EventAppStart, EventAppStop, EventAppRestart, EventAppUpdate, EventAppDeleteRequest,
	EventAppProcessCreate, EventAppProcessDelete, EventAppDropletMapped,
	EventAppDeploymentCreate, EventAppDeploymentCancel,
}

// EventTypes returns every audit event type that can change routing: the
// `types` filter of the event poll.
func EventTypes() []string {
	return slices.Concat(routeEvents, mappingEvents, appEvents,
		[]string{EventSpaceDeleteRequest, EventOrganizationDeleteRequest, EventRoutePolicyCreate, EventRoutePolicyDelete})
}

// Refresh names what a batch of audit events requires re-reading.
type Refresh struct {
	// RouteGUIDs are routes to re-read (a route no longer listed is gone).
	RouteGUIDs []string
	// AppGUIDs are apps to re-read, with their processes.
	AppGUIDs []string
	// PolicyRouteGUIDs are routes whose route policies to re-read, all of
	// them (`/v3/route_policies?route_guids=…`).
	PolicyRouteGUIDs []string
	// DeletedRoutePolicyGUIDs are route policies deleted: nothing to read.
	DeletedRoutePolicyGUIDs []string
}

// Empty reports whether nothing needs re-reading or removing.
func (r Refresh) Empty() bool {
	return len(r.RouteGUIDs) == 0 && len(r.AppGUIDs) == 0 && len(r.PolicyRouteGUIDs) == 0 && len(r.DeletedRoutePolicyGUIDs) == 0
}

// Reads counts the routes, apps and routes' policies a refresh re-reads:
// its size in GUIDs to request.
func (r Refresh) Reads() int {
	return len(r.RouteGUIDs) + len(r.AppGUIDs) + len(r.PolicyRouteGUIDs)
}

// Union returns everything either refresh names, sorted and unique.
func (r Refresh) Union(o Refresh) Refresh {
	return Refresh{
		RouteGUIDs:              sortedUnique(slices.Concat(r.RouteGUIDs, o.RouteGUIDs)),
		AppGUIDs:                sortedUnique(slices.Concat(r.AppGUIDs, o.AppGUIDs)),
		PolicyRouteGUIDs:        sortedUnique(slices.Concat(r.PolicyRouteGUIDs, o.PolicyRouteGUIDs)),
		DeletedRoutePolicyGUIDs: sortedUnique(slices.Concat(r.DeletedRoutePolicyGUIDs, o.DeletedRoutePolicyGUIDs)),
	}
}

// EventError reports an audit event PlanRefresh could not use.
type EventError struct {
	EventGUID, Type, Reason string
}

func (e *EventError) Error() string {
	return fmt.Sprintf("audit event %s (%s) unusable: %s", e.EventGUID, e.Type, e.Reason)
}

// PlanRefresh works out what events require re-reading, against the view
// they will be merged into. With a nil view (before the first full sync)
// space and organization deletions contribute nothing, since the full sync
// covers them. Events of other types are ignored. An event it cannot use (no
// target, a mapping event without data.route_guid, a route policy creation
// without data.request.route_guid) is left out and reported as an
// *EventError; the caller cannot tell what it changed and should fall back
// to a full sync.
func PlanRefresh(events []*resource.AuditEvent, v *View) (Refresh, []error) {
	var plan Refresh
	var errs []error
	for _, e := range events {
		if e == nil {
			continue
		}
		if err := plan.add(e, v); err != nil {
			errs = append(errs, err)
		}
	}
	return plan.Union(Refresh{}), errs
}

func (r *Refresh) add(e *resource.AuditEvent, v *View) error {
	unusable := func(reason string) error { return &EventError{EventGUID: e.GUID, Type: e.Type, Reason: reason} }
	relevant := slices.Contains(EventTypes(), e.Type)
	if relevant && e.Target.GUID == "" {
		return unusable("no target guid")
	}
	switch {
	case slices.Contains(routeEvents, e.Type):
		r.RouteGUIDs = append(r.RouteGUIDs, e.Target.GUID)
	case slices.Contains(mappingEvents, e.Type):
		routeGUID, err := MappedRouteGUID(e.Data)
		if err != nil {
			return unusable(err.Error())
		}
		r.RouteGUIDs = append(r.RouteGUIDs, routeGUID)
		if v == nil || !v.HasApp(e.Target.GUID) {
			r.AppGUIDs = append(r.AppGUIDs, e.Target.GUID)
		}
	case slices.Contains(appEvents, e.Type):
		r.AppGUIDs = append(r.AppGUIDs, e.Target.GUID)
	case e.Type == EventSpaceDeleteRequest && v != nil:
		r.RouteGUIDs = append(r.RouteGUIDs, v.RoutesInSpace(e.Target.GUID)...)
	case e.Type == EventOrganizationDeleteRequest && v != nil:
		r.RouteGUIDs = append(r.RouteGUIDs, v.RoutesInOrganization(e.Target.GUID)...)
	case e.Type == EventRoutePolicyCreate:
		routeGUID, err := PolicyRouteGUID(e.Data)
		if err != nil {
			return unusable(err.Error())
		}
		r.PolicyRouteGUIDs = append(r.PolicyRouteGUIDs, routeGUID)
	case e.Type == EventRoutePolicyDelete:
		r.DeletedRoutePolicyGUIDs = append(r.DeletedRoutePolicyGUIDs, e.Target.GUID)
	}
	return nil
}

// PolicyRouteGUID reads `data.request.route_guid` of a route policy create
// event.
func PolicyRouteGUID(data *json.RawMessage) (string, error) {
	if data == nil {
		return "", fmt.Errorf("no data")
	}
	var d struct {
		Request *struct {
			RouteGUID *string `json:"route_guid"`
		} `json:"request"`
	}
	if err := json.Unmarshal(*data, &d); err != nil {
		return "", fmt.Errorf("data is not an object with a request: %w", err)
	}
	if d.Request == nil || d.Request.RouteGUID == nil || *d.Request.RouteGUID == "" {
		return "", fmt.Errorf("data has no request.route_guid")
	}
	return *d.Request.RouteGUID, nil
}

// MappedRouteGUID reads `data.route_guid` of a map-route or unmap-route
// event.
func MappedRouteGUID(data *json.RawMessage) (string, error) {
	if data == nil {
		return "", fmt.Errorf("no data")
	}
	var d struct {
		RouteGUID *string `json:"route_guid"`
	}
	if err := json.Unmarshal(*data, &d); err != nil {
		return "", fmt.Errorf("data is not an object with a route_guid: %w", err)
	}
	if d.RouteGUID == nil || *d.RouteGUID == "" {
		return "", fmt.Errorf("data has no route_guid")
	}
	return *d.RouteGUID, nil
}
