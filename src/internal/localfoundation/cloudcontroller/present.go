package cloudcontroller

import (
	"time"
)

// The JSON shapes below follow Cloud Controller's v3 presenters
// (cloud_controller_ng app/presenters/v3/{route,route_destination,domain,
// process,app,space,organization,event}_presenter.rb).

type relationship struct {
	Data *guidRef `json:"data"`
}

type guidRef struct {
	GUID string `json:"guid"`
}

type metadataJSON struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

type routeJSON struct {
	GUID          string                  `json:"guid"`
	CreatedAt     time.Time               `json:"created_at"`
	UpdatedAt     time.Time               `json:"updated_at"`
	Protocol      string                  `json:"protocol"`
	Host          string                  `json:"host"`
	Path          string                  `json:"path"`
	Port          *int                    `json:"port"`
	URL           string                  `json:"url"`
	Destinations  []destinationJSON       `json:"destinations"`
	Options       map[string]string       `json:"options"`
	Metadata      metadataJSON            `json:"metadata"`
	Relationships map[string]relationship `json:"relationships"`
	Links         map[string]href         `json:"links"`
}

type destinationJSON struct {
	GUID      string             `json:"guid"`
	App       destinationAppJSON `json:"app"`
	Weight    *int               `json:"weight"`
	Port      int                `json:"port"`
	Protocol  string             `json:"protocol"`
	CreatedAt time.Time          `json:"created_at"`
	UpdatedAt time.Time          `json:"updated_at"`
}

type destinationAppJSON struct {
	GUID    string `json:"guid"`
	Process struct {
		Type string `json:"type"`
	} `json:"process"`
}

type domainJSON struct {
	GUID               string    `json:"guid"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
	Name               string    `json:"name"`
	Internal           bool      `json:"internal"`
	RouterGroup        *guidRef  `json:"router_group"`
	SupportedProtocols []string  `json:"supported_protocols"`
	// EnforceRoutePolicies and RoutePoliciesScope are present only when
	// the domain enforces route policies (DomainPresenter deletes both
	// keys otherwise).
	EnforceRoutePolicies *bool           `json:"enforce_route_policies,omitempty"`
	RoutePoliciesScope   *string         `json:"route_policies_scope,omitempty"`
	Metadata             metadataJSON    `json:"metadata"`
	Relationships        map[string]any  `json:"relationships"`
	Links                map[string]href `json:"links"`
}

type processJSON struct {
	GUID                         string                  `json:"guid"`
	CreatedAt                    time.Time               `json:"created_at"`
	UpdatedAt                    time.Time               `json:"updated_at"`
	Type                         string                  `json:"type"`
	Version                      string                  `json:"version"`
	Command                      string                  `json:"command"`
	Instances                    int                     `json:"instances"`
	MemoryInMB                   int                     `json:"memory_in_mb"`
	DiskInMB                     int                     `json:"disk_in_mb"`
	LogRateLimitInBytesPerSecond int                     `json:"log_rate_limit_in_bytes_per_second"`
	HealthCheck                  map[string]any          `json:"health_check"`
	ReadinessHealthCheck         map[string]any          `json:"readiness_health_check"`
	Metadata                     metadataJSON            `json:"metadata"`
	Relationships                map[string]relationship `json:"relationships"`
	Links                        map[string]href         `json:"links"`
}

func emptyMetadata() metadataJSON {
	return metadataJSON{Labels: map[string]string{}, Annotations: map[string]string{}}
}

// presentRoute renders a route; the caller holds cc.mu.
func (cc *CloudController) presentRoute(base string, rt *route) routeJSON {
	self := base + "/v3/routes/" + rt.guid
	out := routeJSON{
		GUID: rt.guid, CreatedAt: rt.createdAt, UpdatedAt: rt.updatedAt,
		Protocol: "http", Host: rt.host, Path: rt.path, URL: cc.routeURL(rt),
		Destinations: presentDestinations(rt),
		Options:      map[string]string{},
		Metadata:     emptyMetadata(),
		Relationships: map[string]relationship{
			"space":  {Data: &guidRef{GUID: rt.spaceGUID}},
			"domain": {Data: &guidRef{GUID: rt.domainGUID}},
		},
		Links: map[string]href{
			"self":         {self},
			"space":        {base + "/v3/spaces/" + rt.spaceGUID},
			"destinations": {self + "/destinations"},
			"domain":       {base + "/v3/domains/" + rt.domainGUID},
		},
	}
	if rt.loadBalancing != "" {
		out.Options["loadbalancing"] = rt.loadBalancing
	}
	for k, v := range rt.annotations {
		out.Metadata.Annotations[k] = v
	}
	return out
}

// routeURL is Cloud Controller's `url`: host.domain+path, or domain+path
// for a route without a host.
func (cc *CloudController) routeURL(rt *route) string {
	d := cc.findDomain(rt.domainGUID)
	switch {
	case d == nil:
		return rt.host + rt.path
	case rt.host == "":
		return d.name + rt.path
	default:
		return rt.host + "." + d.name + rt.path
	}
}

func presentDestinations(rt *route) []destinationJSON {
	out := make([]destinationJSON, 0, len(rt.destinations))
	for _, d := range rt.destinations {
		dj := destinationJSON{
			GUID: d.guid, Weight: d.weight, Port: d.port, Protocol: d.protocol,
			CreatedAt: d.createdAt, UpdatedAt: d.createdAt,
		}
		dj.App.GUID = d.appGUID
		dj.App.Process.Type = d.processType
		out = append(out, dj)
	}
	return out
}

// presentDomain renders a domain; routePolicies says whether this Cloud
// Controller knows route policies at all.
func presentDomain(base string, d *domain, routePolicies bool) domainJSON {
	owner := relationship{}
	if d.orgGUID != "" {
		owner.Data = &guidRef{GUID: d.orgGUID}
	}
	out := domainJSON{
		GUID: d.guid, CreatedAt: d.createdAt, UpdatedAt: d.createdAt,
		Name: d.name, Internal: d.internal, SupportedProtocols: []string{"http"},
		Metadata: emptyMetadata(),
		Relationships: map[string]any{
			"organization":         owner,
			"shared_organizations": map[string][]guidRef{"data": {}},
		},
		Links: map[string]href{
			"self":               {base + "/v3/domains/" + d.guid},
			"route_reservations": {base + "/v3/domains/" + d.guid + "/route_reservations"},
		},
	}
	if routePolicies && d.enforce {
		enforce, scope := true, d.scope
		out.EnforceRoutePolicies, out.RoutePoliciesScope = &enforce, &scope
	}
	return out
}

// presentProcess renders a process; the caller holds cc.mu.
func (cc *CloudController) presentProcess(base string, p *process) processJSON {
	self := base + "/v3/processes/" + p.guid
	spaceGUID := DefaultSpaceGUID
	if a := cc.apps[p.appGUID]; a != nil {
		spaceGUID = a.spaceGUID
	}
	return processJSON{
		GUID: p.guid, CreatedAt: p.createdAt, UpdatedAt: p.createdAt,
		Type: p.processType, Version: p.version,
		Command:   "[PRIVATE DATA HIDDEN IN LISTS]",
		Instances: 1, MemoryInMB: 1024, DiskInMB: 1024, LogRateLimitInBytesPerSecond: -1,
		HealthCheck:          map[string]any{"type": "port", "data": map[string]any{"timeout": nil, "invocation_timeout": nil}},
		ReadinessHealthCheck: map[string]any{"type": "process", "data": map[string]any{"invocation_timeout": nil, "interval": nil}},
		Metadata:             emptyMetadata(),
		Relationships: map[string]relationship{
			"app":      {Data: &guidRef{GUID: p.appGUID}},
			"revision": {Data: nil},
		},
		Links: map[string]href{
			"self":  {self},
			"scale": {self + "/actions/scale"},
			"app":   {base + "/v3/apps/" + p.appGUID},
			"space": {base + "/v3/spaces/" + spaceGUID},
			"stats": {self + "/stats"},
		},
	}
}
