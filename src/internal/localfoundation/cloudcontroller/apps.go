package cloudcontroller

import (
	"net/http"
	"time"
)

// defaultQuotaGUID is the organization quota every organization points at.
const defaultQuotaGUID = "b7887f5c-34bb-40c5-9778-577572e4fb2d"

type appJSON struct {
	GUID          string                  `json:"guid"`
	CreatedAt     time.Time               `json:"created_at"`
	UpdatedAt     time.Time               `json:"updated_at"`
	Name          string                  `json:"name"`
	State         string                  `json:"state"`
	Lifecycle     map[string]any          `json:"lifecycle"`
	Relationships map[string]relationship `json:"relationships"`
	Metadata      metadataJSON            `json:"metadata"`
	Links         map[string]any          `json:"links"`
}

type spaceJSON struct {
	GUID          string                  `json:"guid"`
	CreatedAt     time.Time               `json:"created_at"`
	UpdatedAt     time.Time               `json:"updated_at"`
	Name          string                  `json:"name"`
	Relationships map[string]relationship `json:"relationships"`
	Metadata      metadataJSON            `json:"metadata"`
	Links         map[string]href         `json:"links"`
}

type organizationJSON struct {
	GUID          string                  `json:"guid"`
	CreatedAt     time.Time               `json:"created_at"`
	UpdatedAt     time.Time               `json:"updated_at"`
	Name          string                  `json:"name"`
	Suspended     bool                    `json:"suspended"`
	Relationships map[string]relationship `json:"relationships"`
	Metadata      metadataJSON            `json:"metadata"`
	Links         map[string]href         `json:"links"`
}

// action is a link that needs a method other than GET.
type action struct {
	Href   string `json:"href"`
	Method string `json:"method"`
}

func presentApp(base string, a *app) appJSON {
	self := base + "/v3/apps/" + a.guid
	return appJSON{
		GUID: a.guid, CreatedAt: a.createdAt, UpdatedAt: a.updatedAt, Name: a.name, State: a.state,
		Lifecycle: map[string]any{"type": "buildpack", "data": map[string]any{"buildpacks": []string{}, "stack": "cflinuxfs4"}},
		Relationships: map[string]relationship{
			"space":           {Data: &guidRef{GUID: a.spaceGUID}},
			"current_droplet": {Data: nil},
		},
		Metadata: emptyMetadata(),
		Links: map[string]any{
			"self":      href{self},
			"space":     href{base + "/v3/spaces/" + a.spaceGUID},
			"processes": href{self + "/processes"},
			"start":     action{self + "/actions/start", http.MethodPost},
			"stop":      action{self + "/actions/stop", http.MethodPost},
		},
	}
}

func presentSpace(base string, s *space) spaceJSON {
	self := base + "/v3/spaces/" + s.guid
	return spaceJSON{
		GUID: s.guid, CreatedAt: s.createdAt, UpdatedAt: s.createdAt, Name: s.name,
		Relationships: map[string]relationship{
			"organization": {Data: &guidRef{GUID: s.orgGUID}},
			"quota":        {Data: nil},
		},
		Metadata: emptyMetadata(),
		Links: map[string]href{
			"self":         {self},
			"features":     {self + "/features"},
			"organization": {base + "/v3/organizations/" + s.orgGUID},
		},
	}
}

func presentOrganization(base string, o *organization) organizationJSON {
	self := base + "/v3/organizations/" + o.guid
	return organizationJSON{
		GUID: o.guid, CreatedAt: o.createdAt, UpdatedAt: o.createdAt, Name: o.name,
		Relationships: map[string]relationship{"quota": {Data: &guidRef{GUID: defaultQuotaGUID}}},
		Metadata:      emptyMetadata(),
		Links: map[string]href{
			"self":           {self},
			"domains":        {self + "/domains"},
			"default_domain": {self + "/domains/default"},
			"quota":          {base + "/v3/organization_quotas/" + defaultQuotaGUID},
		},
	}
}

var appListSpec = listSpec{filters: []string{"guids", "names", "space_guids", "organization_guids"}}

func (cc *CloudController) listApps(w http.ResponseWriter, r *http.Request) {
	serveList(cc, w, r, "/v3/apps", appListSpec,
		func() []*app { return cc.appOrder },
		func(a *app) attrs {
			return attrs{createdAt: a.createdAt, updatedAt: a.updatedAt, values: single(
				"guids", a.guid, "names", a.name, "space_guids", a.spaceGUID, "organization_guids", cc.orgOf(a.spaceGUID))}
		},
		func(base string, _ pageRequest, page []*app) (any, any) {
			resources := make([]appJSON, 0, len(page))
			for _, a := range page {
				resources = append(resources, presentApp(base, a))
			}
			return resources, nil
		})
}

var spaceListSpec = listSpec{filters: []string{"guids", "names", "organization_guids"}}

func (cc *CloudController) listSpaces(w http.ResponseWriter, r *http.Request) {
	serveList(cc, w, r, "/v3/spaces", spaceListSpec,
		func() []*space { return cc.spaces },
		func(s *space) attrs {
			return attrs{createdAt: s.createdAt, updatedAt: s.createdAt,
				values: single("guids", s.guid, "names", s.name, "organization_guids", s.orgGUID)}
		},
		func(base string, _ pageRequest, page []*space) (any, any) {
			resources := make([]spaceJSON, 0, len(page))
			for _, s := range page {
				resources = append(resources, presentSpace(base, s))
			}
			return resources, nil
		})
}

var organizationListSpec = listSpec{filters: []string{"guids", "names"}}

func (cc *CloudController) listOrganizations(w http.ResponseWriter, r *http.Request) {
	serveList(cc, w, r, "/v3/organizations", organizationListSpec,
		func() []*organization { return cc.organizations },
		func(o *organization) attrs {
			return attrs{createdAt: o.createdAt, updatedAt: o.createdAt, values: single("guids", o.guid, "names", o.name)}
		},
		func(base string, _ pageRequest, page []*organization) (any, any) {
			resources := make([]organizationJSON, 0, len(page))
			for _, o := range page {
				resources = append(resources, presentOrganization(base, o))
			}
			return resources, nil
		})
}

func (cc *CloudController) getApp(w http.ResponseWriter, r *http.Request) {
	base := cc.base(r)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	a := cc.apps[r.PathValue("guid")]
	if a == nil {
		writeError(w, errAppNotFound)
		return
	}
	writeJSON(w, http.StatusOK, presentApp(base, a))
}

// serveAppAction answers `POST /v3/apps/:guid/actions/start|stop` with the
// app, as Cloud Controller does.
func (cc *CloudController) serveAppAction(state string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		base := cc.base(r)
		cc.mu.Lock()
		defer cc.mu.Unlock()
		a, apiErr := cc.setAppState(r.PathValue("guid"), state)
		if apiErr != nil {
			writeError(w, apiErr)
			return
		}
		writeJSON(w, http.StatusOK, presentApp(base, a))
	}
}
