package ccpoller

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudfoundry/go-cfclient/v3/client"
	"github.com/cloudfoundry/go-cfclient/v3/resource"

	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller"
)

const (
	// eventsPerPage is the page size of event reads.
	eventsPerPage = 5000
	// maxEventPages bounds one event read. More relevant events than this
	// many pages since the last read means a mass change: the read counts as
	// truncated and a full sync, cheaper than paging on, takes over. A read
	// starts a lookback before the newest event seen, so a single page
	// would be too little: a burst of a few thousand events within the
	// lookback would truncate every read until it aged out.
	maxEventPages = 4
	// guidsPerRequest bounds the GUIDs one filtered request names, keeping
	// URLs near 2 KB.
	guidsPerRequest = 50
	// maxRoutePageBytes bounds one route page read.
	maxRoutePageBytes = 64 << 20
)

// reader reads Cloud Controller through go-cfclient. Its methods may run
// concurrently (the full sync runs beside event polling); go-cfclient's
// client and token source are safe for that.
type reader struct {
	c       *client.Client
	perPage int
	types   []string
}

// guarded turns a go-cfclient panic on a malformed answer (it dereferences
// parts of a response it does not check, such as a route list without
// `included`) into an error, rather than letting Cloud Controller crash the
// copilot.
func guarded(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("malformed Cloud Controller response (go-cfclient panicked: %v)", r)
	}
}

// fullSync lists everything routing needs: routes first, so that the apps,
// processes, spaces and route policies read afterwards include whatever
// those routes name. policiesKnown is false when Cloud Controller does not
// know route policies (it predates RFC-0055): then there are none.
func (rd reader) fullSync(ctx context.Context) (f cloudcontroller.Foundation, policiesKnown bool, err error) {
	defer guarded(&err)
	var routes cloudcontroller.RoutePage
	if err := rd.routePages(ctx, url.Values{"include": {"domain"}}, &routes); err != nil {
		return f, false, fmt.Errorf("listing routes: %w", err)
	}
	f.Routes, f.Domains, f.DomainPolicies = routes.Routes, routes.Domains, routes.DomainPolicies
	appOpts := client.NewAppListOptions()
	appOpts.PerPage = rd.perPage
	if f.Apps, err = rd.c.Applications.ListAll(ctx, appOpts); err != nil {
		return f, false, fmt.Errorf("listing apps: %w", err)
	}
	processOpts := client.NewProcessOptions()
	processOpts.PerPage = rd.perPage
	if f.Processes, err = rd.c.Processes.ListAll(ctx, processOpts); err != nil {
		return f, false, fmt.Errorf("listing processes: %w", err)
	}
	spaceOpts := client.NewSpaceListOptions()
	spaceOpts.PerPage = rd.perPage
	if f.Spaces, err = rd.c.Spaces.ListAll(ctx, spaceOpts); err != nil {
		return f, false, fmt.Errorf("listing spaces: %w", err)
	}
	policyOpts := client.NewRoutePolicyListOptions()
	policyOpts.PerPage = rd.perPage
	f.RoutePolicies, err = rd.c.RoutePolicies.ListAll(ctx, policyOpts)
	switch {
	case resource.IsNotFoundError(err):
		return f, false, nil // CF-NotFound "Unknown request": no such endpoint
	case err != nil:
		return f, false, fmt.Errorf("listing route policies: %w", err)
	}
	return f, true, nil
}

// startCursor starts an event cursor for a full sync about to list: at the
// newest relevant event, having seen every event visible now within the
// lookback before it. The listing that follows covers what those events
// changed (their transactions have committed), so the first poll need not
// re-read it; events that become visible later are still acted on.
func (rd reader) startCursor(ctx context.Context, lookback time.Duration) (c cloudcontroller.EventCursor, err error) {
	defer guarded(&err)
	opts := client.NewAuditEventListOptions()
	opts.Types.EqualTo(rd.types...)
	opts.OrderBy = "-created_at"
	opts.PerPage = 1
	newest, _, err := rd.c.AuditEvents.List(ctx, opts)
	if err != nil {
		return c, fmt.Errorf("reading the newest audit event: %w", err)
	}
	if len(newest) == 0 || newest[0] == nil {
		return cloudcontroller.NewEventCursor(time.Time{}, lookback), nil
	}
	c = cloudcontroller.NewEventCursor(newest[0].CreatedAt, lookback)
	since, _ := c.Since()
	recent, truncated, err := rd.events(ctx, since, true)
	if err != nil {
		return c, err
	}
	if truncated {
		return c.SkipTo(newest[0].CreatedAt), nil // a burst: read on from its newest second
	}
	_, c = c.Advance(recent)
	return c, nil
}

// events reads relevant audit events created at or after since (all of
// them when hasSince is false), oldest first, up to maxEventPages pages;
// truncated is true when more matched.
func (rd reader) events(ctx context.Context, since time.Time, hasSince bool) (events []*resource.AuditEvent, truncated bool, err error) {
	defer guarded(&err)
	opts := client.NewAuditEventListOptions()
	opts.Types.EqualTo(rd.types...)
	opts.OrderBy = "created_at"
	opts.PerPage = eventsPerPage
	if hasSince {
		opts.CreatedAts.AfterOrEqualTo(since.UTC())
	}
	for page := 1; ; page++ {
		batch, pager, err := rd.c.AuditEvents.List(ctx, opts)
		if err != nil {
			return nil, false, fmt.Errorf("listing audit events: %w", err)
		}
		events = append(events, batch...)
		if !pager.HasNextPage() {
			return events, false, nil
		}
		if page == maxEventPages {
			return events, true, nil
		}
		pager.NextPage(opts)
	}
}

// refresh reads what a plan names, plus the apps and spaces the re-read
// routes name that v does not know. It returns a Delta only when every read
// succeeded.
func (rd reader) refresh(ctx context.Context, plan cloudcontroller.Refresh, v *cloudcontroller.View) (d cloudcontroller.Delta, err error) {
	defer guarded(&err)
	d.RouteGUIDs = plan.RouteGUIDs
	var routes cloudcontroller.RoutePage
	for _, chunk := range chunks(plan.RouteGUIDs) {
		if err := rd.routePages(ctx, url.Values{"guids": {strings.Join(chunk, ",")}, "include": {"domain"}}, &routes); err != nil {
			return cloudcontroller.Delta{}, fmt.Errorf("reading routes: %w", err)
		}
	}
	d.Routes, d.Domains, d.DomainPolicies = routes.Routes, routes.Domains, routes.DomainPolicies
	d.PolicyRouteGUIDs, d.DeletedRoutePolicyGUIDs = plan.PolicyRouteGUIDs, plan.DeletedRoutePolicyGUIDs
	for _, chunk := range chunks(plan.PolicyRouteGUIDs) {
		opts := client.NewRoutePolicyListOptions()
		opts.PerPage, opts.RouteGUIDs.Values = rd.perPage, chunk
		policies, err := rd.c.RoutePolicies.ListAll(ctx, opts)
		if err != nil {
			return cloudcontroller.Delta{}, fmt.Errorf("reading route policies: %w", err)
		}
		d.RoutePolicies = append(d.RoutePolicies, policies...)
	}
	newApps, newSpaces := v.Unknown(d.Routes, nil)
	// Callers a route policy names, and the spaces of the apps read here,
	// decide what a domain's scope admits (ADR 8).
	callerApps, _ := v.UnknownCallers(d.RoutePolicies, nil)
	d.AppGUIDs = cloudcontroller.Refresh{AppGUIDs: plan.AppGUIDs}.Union(cloudcontroller.Refresh{AppGUIDs: append(newApps, callerApps...)}).AppGUIDs
	for _, chunk := range chunks(d.AppGUIDs) {
		appOpts := client.NewAppListOptions()
		appOpts.PerPage, appOpts.GUIDs.Values = rd.perPage, chunk
		apps, err := rd.c.Applications.ListAll(ctx, appOpts)
		if err != nil {
			return cloudcontroller.Delta{}, fmt.Errorf("reading apps: %w", err)
		}
		processOpts := client.NewProcessOptions()
		processOpts.PerPage, processOpts.AppGUIDs.Values = rd.perPage, chunk
		processes, err := rd.c.Processes.ListAll(ctx, processOpts)
		if err != nil {
			return cloudcontroller.Delta{}, fmt.Errorf("reading processes of apps: %w", err)
		}
		d.Apps, d.Processes = append(d.Apps, apps...), append(d.Processes, processes...)
	}
	_, callerSpaces := v.UnknownCallers(d.RoutePolicies, d.Apps)
	newSpaces = unionGUIDs(newSpaces, callerSpaces)
	for _, chunk := range chunks(newSpaces) {
		spaceOpts := client.NewSpaceListOptions()
		spaceOpts.PerPage, spaceOpts.GUIDs.Values = rd.perPage, chunk
		spaces, err := rd.c.Spaces.ListAll(ctx, spaceOpts)
		if err != nil {
			return cloudcontroller.Delta{}, fmt.Errorf("reading spaces: %w", err)
		}
		d.Spaces = append(d.Spaces, spaces...)
	}
	return d, nil
}

// routePages reads every page of `GET /v3/routes` with query q (which
// must include the domains) into acc. It sends the requests itself, through
// go-cfclient's authenticated transport: go-cfclient's route list options
// have no `guids` filter, and its resource.Domain drops the domains' route
// policy settings.
func (rd reader) routePages(ctx context.Context, q url.Values, acc *cloudcontroller.RoutePage) error {
	q.Set("per_page", strconv.Itoa(rd.perPage))
	for page := 1; ; page++ {
		q.Set("page", strconv.Itoa(page))
		p, err := rd.routePage(ctx, "/v3/routes?"+q.Encode())
		if err != nil {
			return err
		}
		acc.Routes = append(acc.Routes, p.Routes...)
		acc.Domains = append(acc.Domains, p.Domains...)
		acc.DomainPolicies = append(acc.DomainPolicies, p.DomainPolicies...)
		if !p.Next {
			return nil
		}
	}
}

func (rd reader) routePage(ctx context.Context, path string) (cloudcontroller.RoutePage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rd.c.ApiURL(path), nil)
	if err != nil {
		return cloudcontroller.RoutePage{}, err
	}
	resp, err := rd.c.ExecuteAuthRequest(req)
	if err != nil {
		return cloudcontroller.RoutePage{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRoutePageBytes))
	if err != nil {
		return cloudcontroller.RoutePage{}, err
	}
	return cloudcontroller.DecodeRoutePage(body)
}

// chunks splits GUIDs into groups of at most guidsPerRequest.
func chunks(guids []string) [][]string {
	var out [][]string
	for len(guids) > 0 {
		n := min(len(guids), guidsPerRequest)
		out = append(out, guids[:n])
		guids = guids[n:]
	}
	return out
}

// unionGUIDs is a and b without repeats, sorted.
func unionGUIDs(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}
