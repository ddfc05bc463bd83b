package cloudcontroller

import (
	"net/http"
)

// serveList answers a list endpoint: it parses the query against spec,
// selects and orders items under cc.mu, and presents the requested page.
func serveList[T any](cc *CloudController, w http.ResponseWriter, r *http.Request, path string, spec listSpec,
	items func() []T, attrsOf func(T) attrs, present func(base string, req pageRequest, page []T) (resources, included any),
) {
	req, apiErr := spec.parse(r.URL.Query())
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	base := cc.base(r)
	cc.mu.Lock()
	if req.unfiltered() {
		cc.listings[path]++
	}
	all := selectAll(req, items(), attrsOf)
	start, end, p := req.window(base, path, len(all))
	resources, included := present(base, req, all[start:end])
	cc.mu.Unlock()
	writeJSON(w, http.StatusOK, listResponse{Pagination: p, Resources: resources, Included: included})
}

var routeListSpec = listSpec{
	filters:  []string{"guids", "app_guids", "space_guids", "organization_guids", "domain_guids", "hosts", "paths"},
	includes: []string{"domain"},
}

func (cc *CloudController) listRoutes(w http.ResponseWriter, r *http.Request) {
	serveList(cc, w, r, "/v3/routes", routeListSpec,
		func() []*route { return cc.routes },
		cc.routeAttrs,
		func(base string, req pageRequest, page []*route) (any, any) {
			resources := make([]routeJSON, 0, len(page))
			for _, rt := range page {
				resources = append(resources, cc.presentRoute(base, rt))
			}
			if req.include != "domain" {
				return resources, nil
			}
			return resources, map[string]any{"domains": cc.domainsOf(base, page)}
		})
}

// routeAttrs is what route filters see; the caller holds cc.mu.
func (cc *CloudController) routeAttrs(rt *route) attrs {
	return attrs{createdAt: rt.createdAt, updatedAt: rt.updatedAt, values: func(filter string) []string {
		switch filter {
		case "app_guids":
			apps := make([]string, 0, len(rt.destinations))
			for _, d := range rt.destinations {
				apps = append(apps, d.appGUID)
			}
			return apps
		case "organization_guids":
			return []string{cc.orgOf(rt.spaceGUID)}
		}
		return single("guids", rt.guid, "space_guids", rt.spaceGUID, "domain_guids", rt.domainGUID,
			"hosts", rt.host, "paths", rt.path)(filter)
	}}
}

// domainsOf presents the known domains of routes, each once, in the order
// the routes name them.
func (cc *CloudController) domainsOf(base string, routes []*route) []domainJSON {
	out := []domainJSON{}
	seen := map[string]bool{}
	for _, rt := range routes {
		d := cc.findDomain(rt.domainGUID)
		if d == nil || seen[d.guid] {
			continue
		}
		seen[d.guid] = true
		out = append(out, presentDomain(base, d, !cc.opts.NoRoutePolicies))
	}
	return out
}

func (cc *CloudController) getRoute(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	include := q.Get("include")
	if len(q) > 1 || (len(q) == 1 && include != "domain") {
		writeError(w, badQueryParameter("Valid parameters are: 'include' (with 'domain')"))
		return
	}
	base := cc.base(r)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	rt := cc.findRoute(r.PathValue("guid"))
	if rt == nil {
		writeError(w, errRouteNotFound)
		return
	}
	if include == "" {
		writeJSON(w, http.StatusOK, cc.presentRoute(base, rt))
		return
	}
	writeJSON(w, http.StatusOK, struct {
		routeJSON
		Included map[string]any `json:"included"`
	}{cc.presentRoute(base, rt), map[string]any{"domains": cc.domainsOf(base, []*route{rt})}})
}

var processListSpec = listSpec{filters: []string{"guids", "app_guids", "types", "space_guids"}}

func (cc *CloudController) listProcesses(w http.ResponseWriter, r *http.Request) {
	serveList(cc, w, r, "/v3/processes", processListSpec,
		func() []*process { return cc.processes },
		func(p *process) attrs {
			spaceGUID := ""
			if a := cc.apps[p.appGUID]; a != nil {
				spaceGUID = a.spaceGUID
			}
			return attrs{createdAt: p.createdAt, updatedAt: p.createdAt,
				values: single("guids", p.guid, "app_guids", p.appGUID, "types", p.processType, "space_guids", spaceGUID)}
		},
		func(base string, _ pageRequest, page []*process) (any, any) {
			resources := make([]processJSON, 0, len(page))
			for _, p := range page {
				resources = append(resources, cc.presentProcess(base, p))
			}
			return resources, nil
		})
}

var domainListSpec = listSpec{filters: []string{"guids", "names"}}

func (cc *CloudController) listDomains(w http.ResponseWriter, r *http.Request) {
	serveList(cc, w, r, "/v3/domains", domainListSpec,
		func() []*domain { return cc.domains },
		func(d *domain) attrs {
			return attrs{createdAt: d.createdAt, updatedAt: d.createdAt, values: single("guids", d.guid, "names", d.name)}
		},
		func(base string, _ pageRequest, page []*domain) (any, any) {
			resources := make([]domainJSON, 0, len(page))
			for _, d := range page {
				resources = append(resources, presentDomain(base, d, !cc.opts.NoRoutePolicies))
			}
			return resources, nil
		})
}
