package cloudcontroller

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Cloud Controller's paging limits.
const (
	defaultPerPage = 50
	maxPerPage     = 5000
)

// pageRequest is a parsed list query.
type pageRequest struct {
	page, perPage int
	include       string
	query         url.Values
}

// parsePageRequest reads `page`, `per_page` and (when includes are allowed)
// `include`, refusing anything else the way Cloud Controller refuses an
// unknown parameter.
func parsePageRequest(q url.Values, includes ...string) (pageRequest, *APIError) {
	req := pageRequest{page: 1, perPage: defaultPerPage, query: q}
	valid := []string{"page", "per_page"}
	if len(includes) > 0 {
		valid = append(valid, "include")
	}
	var unknown []string
	for k := range q {
		if !slices.Contains(valid, k) {
			unknown = append(unknown, "'"+k+"'")
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return req, badQueryParameter(fmt.Sprintf("Unknown query parameter(s): %s. Valid parameters are: '%s'",
			strings.Join(unknown, ", "), strings.Join(valid, "', '")))
	}
	var err *APIError
	if req.page, err = intParam(q, "page", 1, 1, 1<<31-1, "Page must be greater than 0"); err != nil {
		return req, err
	}
	if req.perPage, err = intParam(q, "per_page", defaultPerPage, 1, maxPerPage, "Per page must be between 1 and 5000"); err != nil {
		return req, err
	}
	req.include = q.Get("include")
	if req.include != "" && !slices.Contains(includes, req.include) {
		return req, badQueryParameter(fmt.Sprintf("Invalid included resource: '%s'. Valid included resources are: '%s'",
			req.include, strings.Join(includes, "', '")))
	}
	return req, nil
}

func intParam(q url.Values, name string, def, lo, hi int, message string) (int, *APIError) {
	if !q.Has(name) {
		return def, nil
	}
	v, err := strconv.Atoi(q.Get(name))
	if err != nil || v < lo || v > hi {
		return 0, badQueryParameter(message)
	}
	return v, nil
}

// pagination is Cloud Controller's pagination object.
type pagination struct {
	TotalResults int   `json:"total_results"`
	TotalPages   int   `json:"total_pages"`
	First        href  `json:"first"`
	Last         href  `json:"last"`
	Next         *href `json:"next"`
	Previous     *href `json:"previous"`
}

// window returns the [start, end) slice bounds of the requested page among
// total results, and the pagination object for it, with absolute links that
// repeat the request's other parameters.
func (req pageRequest) window(base, path string, total int) (start, end int, p pagination) {
	lastPage := max((total+req.perPage-1)/req.perPage, 1)
	link := func(page int) href {
		q := url.Values{}
		for k, v := range req.query {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(page))
		q.Set("per_page", strconv.Itoa(req.perPage))
		return href{base + path + "?" + q.Encode()}
	}
	p = pagination{TotalResults: total, TotalPages: lastPage, First: link(1), Last: link(lastPage)}
	if req.page < lastPage {
		next := link(req.page + 1)
		p.Next = &next
	}
	if req.page > 1 {
		prev := link(req.page - 1)
		p.Previous = &prev
	}
	start = min((req.page-1)*req.perPage, total)
	end = min(start+req.perPage, total)
	return start, end, p
}

type listResponse struct {
	Pagination pagination `json:"pagination"`
	Resources  any        `json:"resources"`
	Included   any        `json:"included,omitempty"`
}

func (cc *CloudController) listRoutes(w http.ResponseWriter, r *http.Request) {
	req, apiErr := parsePageRequest(r.URL.Query(), "domain")
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	base := cc.base(r)
	cc.mu.Lock()
	start, end, p := req.window(base, "/v3/routes", len(cc.routes))
	page := cc.routes[start:end]
	resources := make([]routeJSON, 0, len(page))
	for _, rt := range page {
		resources = append(resources, cc.presentRoute(base, rt))
	}
	resp := listResponse{Pagination: p, Resources: resources}
	if req.include == "domain" {
		resp.Included = map[string]any{"domains": cc.domainsOf(base, page)}
	}
	cc.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
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
		out = append(out, presentDomain(base, d))
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

func (cc *CloudController) listProcesses(w http.ResponseWriter, r *http.Request) {
	req, apiErr := parsePageRequest(r.URL.Query())
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	base := cc.base(r)
	cc.mu.Lock()
	start, end, p := req.window(base, "/v3/processes", len(cc.processes))
	resources := make([]processJSON, 0, end-start)
	for _, proc := range cc.processes[start:end] {
		resources = append(resources, presentProcess(base, proc))
	}
	cc.mu.Unlock()
	writeJSON(w, http.StatusOK, listResponse{Pagination: p, Resources: resources})
}

func (cc *CloudController) listDomains(w http.ResponseWriter, r *http.Request) {
	req, apiErr := parsePageRequest(r.URL.Query())
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	base := cc.base(r)
	cc.mu.Lock()
	start, end, p := req.window(base, "/v3/domains", len(cc.domains))
	resources := make([]domainJSON, 0, end-start)
	for _, d := range cc.domains[start:end] {
		resources = append(resources, presentDomain(base, d))
	}
	cc.mu.Unlock()
	writeJSON(w, http.StatusOK, listResponse{Pagination: p, Resources: resources})
}
