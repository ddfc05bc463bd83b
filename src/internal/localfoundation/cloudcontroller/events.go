package cloudcontroller

import (
	"maps"
	"net/http"
	"time"
)

// The audit event types the stand-in records (cloud_controller_ng
// app/repositories/event_types.rb).
const (
	eventOrganizationCreate = "audit.organization.create"
	eventSpaceCreate        = "audit.space.create"
	eventAppCreate          = "audit.app.create"
	eventAppStart           = "audit.app.start"
	eventAppStop            = "audit.app.stop"
	eventProcessCreate      = "audit.app.process.create"
	eventMapRoute           = "audit.app.map-route"
	eventUnmapRoute         = "audit.app.unmap-route"
	eventRouteCreate        = "audit.route.create"
	eventRouteUpdate        = "audit.route.update"
	eventRouteDeleteRequest = "audit.route.delete-request"
)

// The actor of every event: the stand-in's one admin user.
const (
	actorGUID = "0f5b4f4e-2d5c-4a7e-8f1e-6a2b9c3d4e5f"
	actorName = "admin"
)

// AuditEvent is an audit event the stand-in recorded, for tests to inspect.
type AuditEvent struct {
	GUID       string
	Type       string
	TargetGUID string
	CreatedAt  time.Time
}

type target struct {
	guid, kind, name string
}

type auditEvent struct {
	guid, eventType    string
	target             target
	data               map[string]any
	spaceGUID, orgGUID string
	createdAt          time.Time
}

// record appends an audit event stamped with the stand-in's clock, in whole
// seconds as Cloud Controller's are, unless events are suppressed. The
// caller holds cc.mu.
func (cc *CloudController) record(eventType string, t target, spaceGUID, orgGUID string, data map[string]any) {
	if cc.suppressEvents {
		return
	}
	if data == nil {
		data = map[string]any{}
	}
	cc.events = append(cc.events, &auditEvent{
		guid: newGUID(), eventType: eventType, target: t, data: data,
		spaceGUID: spaceGUID, orgGUID: orgGUID, createdAt: cc.now(),
	})
}

// SuppressEvents makes the stand-in stop (true) or resume (false)
// recording audit events, as if Cloud Controller lost them: a fault for
// the copilot's change detection to survive.
func (cc *CloudController) SuppressEvents(suppress bool) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.suppressEvents = suppress
}

// AuditEvents returns the events recorded so far, oldest first.
func (cc *CloudController) AuditEvents() []AuditEvent {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	out := make([]AuditEvent, 0, len(cc.events))
	for _, e := range cc.events {
		out = append(out, AuditEvent{GUID: e.guid, Type: e.eventType, TargetGUID: e.target.guid, CreatedAt: e.createdAt})
	}
	return out
}

type eventJSON struct {
	GUID         string          `json:"guid"`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
	Type         string          `json:"type"`
	Actor        eventObjectJSON `json:"actor"`
	Target       eventObjectJSON `json:"target"`
	Data         map[string]any  `json:"data"`
	Space        *guidRef        `json:"space"`
	Organization *guidRef        `json:"organization"`
	Links        map[string]href `json:"links"`
}

type eventObjectJSON struct {
	GUID string `json:"guid"`
	Type string `json:"type"`
	Name string `json:"name"`
}

func presentEvent(base string, e *auditEvent) eventJSON {
	out := eventJSON{
		GUID: e.guid, CreatedAt: e.createdAt, UpdatedAt: e.createdAt, Type: e.eventType,
		Actor:  eventObjectJSON{GUID: actorGUID, Type: "user", Name: actorName},
		Target: eventObjectJSON{GUID: e.target.guid, Type: e.target.kind, Name: e.target.name},
		Data:   maps.Clone(e.data),
		Links:  map[string]href{"self": {base + "/v3/audit_events/" + e.guid}},
	}
	if e.spaceGUID != "" {
		out.Space = &guidRef{GUID: e.spaceGUID}
	}
	if e.orgGUID != "" {
		out.Organization = &guidRef{GUID: e.orgGUID}
	}
	return out
}

var eventListSpec = listSpec{
	filters:    []string{"guids", "types", "target_guids", "space_guids", "organization_guids"},
	exclusions: []string{"target_guids"},
}

// listEvents is `GET /v3/audit_events` (cloud_controller_ng
// app/fetchers/event_list_fetcher.rb).
func (cc *CloudController) listEvents(w http.ResponseWriter, r *http.Request) {
	serveList(cc, w, r, "/v3/audit_events", eventListSpec,
		func() []*auditEvent { return cc.events },
		func(e *auditEvent) attrs {
			return attrs{createdAt: e.createdAt, updatedAt: e.createdAt, values: single(
				"guids", e.guid, "types", e.eventType, "target_guids", e.target.guid,
				"space_guids", e.spaceGUID, "organization_guids", e.orgGUID)}
		},
		func(base string, _ pageRequest, page []*auditEvent) (any, any) {
			resources := make([]eventJSON, 0, len(page))
			for _, e := range page {
				resources = append(resources, presentEvent(base, e))
			}
			return resources, nil
		})
}

func (cc *CloudController) getEvent(w http.ResponseWriter, r *http.Request) {
	base := cc.base(r)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for _, e := range cc.events {
		if e.guid == r.PathValue("guid") {
			writeJSON(w, http.StatusOK, presentEvent(base, e))
			return
		}
	}
	writeError(w, errEventNotFound)
}
