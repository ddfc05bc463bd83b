package cloudcontroller

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Cloud Controller's paging limits.
const (
	defaultPerPage = 50
	maxPerPage     = 5000
)

// listSpec says which query parameters a list endpoint accepts besides
// paging, ordering and the timestamp filters every v3 list has.
type listSpec struct {
	// filters are comma-separated value filters (`guids`, `app_guids`, ...).
	filters []string
	// exclusions are filters that also accept `[not]`.
	exclusions []string
	// includes are the values `include` accepts; none means no `include`.
	includes []string
}

// timestampFilter is one `created_ats` or `updated_ats` condition.
type timestampFilter struct {
	op    string // "", "lt", "lte", "gt", "gte"
	times []time.Time
}

// pageRequest is a parsed list query.
type pageRequest struct {
	page, perPage int
	include       string
	descending    bool
	orderBy       string
	filters       map[string][]string
	excluded      map[string][]string
	timestamps    map[string][]timestampFilter
	query         url.Values
}

// ccTimestamp is the only timestamp format Cloud Controller's filters take.
var ccTimestamp = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)

// splitKey splits `created_ats[gte]` into `created_ats` and `gte`.
func splitKey(k string) (name, op string) {
	name, rest, found := strings.Cut(k, "[")
	if !found {
		return k, ""
	}
	return name, strings.TrimSuffix(rest, "]")
}

func (spec listSpec) valid() []string {
	valid := []string{"page", "per_page", "order_by", "created_ats", "updated_ats"}
	valid = append(valid, spec.filters...)
	if len(spec.includes) > 0 {
		valid = append(valid, "include")
	}
	return valid
}

// parse reads a list query, refusing anything Cloud Controller would refuse
// with 400 CF-BadQueryParameter.
func (spec listSpec) parse(q url.Values) (pageRequest, *APIError) {
	req := pageRequest{page: 1, perPage: defaultPerPage, orderBy: "created_at", query: q,
		filters: map[string][]string{}, excluded: map[string][]string{}, timestamps: map[string][]timestampFilter{}}
	if err := spec.checkKeys(q); err != nil {
		return req, err
	}
	var err *APIError
	if req.page, err = intParam(q, "page", 1, 1, 1<<31-1, "Page must be greater than 0"); err != nil {
		return req, err
	}
	if req.perPage, err = intParam(q, "per_page", defaultPerPage, 1, maxPerPage, "Per page must be between 1 and 5000"); err != nil {
		return req, err
	}
	if err := req.parseOrder(q.Get("order_by")); err != nil {
		return req, err
	}
	req.include = q.Get("include")
	if req.include != "" && !slices.Contains(spec.includes, req.include) {
		return req, badQueryParameter(fmt.Sprintf("Invalid included resource: '%s'. Valid included resources are: '%s'",
			req.include, strings.Join(spec.includes, "', '")))
	}
	return req, req.parseFilters(q)
}

func (spec listSpec) checkKeys(q url.Values) *APIError {
	valid := spec.valid()
	var unknown []string
	for k := range q {
		name, op := splitKey(k)
		ok := slices.Contains(valid, name) && (op == "" ||
			(strings.HasSuffix(name, "_ats") && slices.Contains([]string{"lt", "lte", "gt", "gte"}, op)) ||
			(op == "not" && slices.Contains(spec.exclusions, name)))
		if !ok {
			unknown = append(unknown, "'"+k+"'")
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return badQueryParameter(fmt.Sprintf("Unknown query parameter(s): %s. Valid parameters are: '%s'",
		strings.Join(unknown, ", "), strings.Join(valid, "', '")))
}

func (req *pageRequest) parseOrder(v string) *APIError {
	if v == "" {
		return nil
	}
	field := strings.TrimLeft(v, "+-")
	if field != "created_at" && field != "updated_at" || len(v)-len(field) > 1 {
		return badQueryParameter("Order by can only be: 'created_at', 'updated_at'")
	}
	req.orderBy = field
	req.descending = strings.HasPrefix(v, "-")
	return nil
}

func (req *pageRequest) parseFilters(q url.Values) *APIError {
	for k, vs := range q {
		name, op := splitKey(k)
		value := strings.Join(vs, ",")
		switch {
		case strings.HasSuffix(name, "_ats"):
			f, err := parseTimestamps(name, op, value)
			if err != nil {
				return err
			}
			req.timestamps[name] = append(req.timestamps[name], f)
		case op == "not":
			req.excluded[name] = strings.Split(value, ",")
		case !slices.Contains([]string{"page", "per_page", "order_by", "include"}, name):
			req.filters[name] = strings.Split(value, ",")
		}
	}
	return nil
}

func parseTimestamps(name, op, value string) (timestampFilter, *APIError) {
	f := timestampFilter{op: op}
	parts := strings.Split(value, ",")
	if op != "" && len(parts) != 1 {
		return f, badQueryParameter(fmt.Sprintf("%s[%s] takes exactly one timestamp", name, op))
	}
	for _, p := range parts {
		t, err := time.Parse(time.RFC3339, p)
		if !ccTimestamp.MatchString(p) || err != nil {
			label := strings.ToUpper(name[:1]) + strings.ReplaceAll(name[1:], "_", " ")
			return f, badQueryParameter(label + " has an invalid timestamp format. Timestamps should be formatted as 'YYYY-MM-DDThh:mm:ssZ'")
		}
		f.times = append(f.times, t)
	}
	return f, nil
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

// unfiltered reports whether the request lists everything (a full listing).
func (req pageRequest) unfiltered() bool {
	return len(req.filters) == 0 && len(req.excluded) == 0 && len(req.timestamps) == 0
}

// attrs is what filters see of one resource.
type attrs struct {
	createdAt, updatedAt time.Time
	// values returns the resource's values for a filter name; a resource
	// matches a filter when one of its values is among the filter's.
	values func(filter string) []string
}

func (req pageRequest) matches(a attrs) bool {
	for name, wanted := range req.filters {
		if !slices.ContainsFunc(a.values(name), func(v string) bool { return slices.Contains(wanted, v) }) {
			return false
		}
	}
	for name, unwanted := range req.excluded {
		if slices.ContainsFunc(a.values(name), func(v string) bool { return slices.Contains(unwanted, v) }) {
			return false
		}
	}
	for name, conditions := range req.timestamps {
		t := a.createdAt
		if name == "updated_ats" {
			t = a.updatedAt
		}
		for _, c := range conditions {
			if !c.holds(t) {
				return false
			}
		}
	}
	return true
}

// holds applies Cloud Controller's whole-second semantics
// (BaseListFetcher.advanced_filtering): `gt` and `lte` move the given second
// to its last instant, equality matches anywhere within the second.
func (f timestampFilter) holds(t time.Time) bool {
	switch f.op {
	case "lt":
		return t.Before(f.times[0])
	case "lte":
		return t.Before(f.times[0].Add(time.Second))
	case "gt":
		return !t.Before(f.times[0].Add(time.Second))
	case "gte":
		return !t.Before(f.times[0])
	}
	return slices.ContainsFunc(f.times, func(s time.Time) bool { return !t.Before(s) && t.Before(s.Add(time.Second)) })
}

// selectAll filters items and orders them as requested; ties keep creation
// order (reversed when descending).
func selectAll[T any](req pageRequest, items []T, attrsOf func(T) attrs) []T {
	out := make([]T, 0, len(items))
	for _, it := range items {
		if req.matches(attrsOf(it)) {
			out = append(out, it)
		}
	}
	key := func(it T) time.Time {
		if req.orderBy == "updated_at" {
			return attrsOf(it).updatedAt
		}
		return attrsOf(it).createdAt
	}
	slices.SortStableFunc(out, func(a, b T) int { return key(a).Compare(key(b)) })
	if req.descending {
		slices.Reverse(out)
	}
	return out
}

// single is a values function for one-valued filters.
func single(pairs ...string) func(string) []string {
	return func(filter string) []string {
		for i := 0; i+1 < len(pairs); i += 2 {
			if pairs[i] == filter {
				return []string{pairs[i+1]}
			}
		}
		return nil
	}
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
