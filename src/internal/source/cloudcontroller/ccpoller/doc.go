// Package ccpoller is the runner of the Cloud Controller source: it keeps a
// view of Cloud Controller v3 (routes with their domains, apps, processes,
// spaces, route policies) current through go-cfclient, translates it with the
// cloudcontroller core, and publishes the resulting source.DesiredRoutes to
// the routing table.
//
//	Cloud Controller ──(go-cfclient, UAA client credentials)──▶ Poller ──publish──▶ routing table
//
// Change detection (ADR 8). Cloud Controller has no watch API, and a
// destination change (so a weight change) does not touch the route's
// `updated_at` (cf-contracts.md §4). The poller therefore
//   - reads the relevant audit events (cloudcontroller.EventTypes) every
//     EventPollInterval (default 1s), from just before the newest one seen
//     (cloudcontroller.EventCursor), and re-reads only what they touched
//     (`/v3/routes?guids=…&include=domain`, `/v3/apps?guids=…`,
//     `/v3/processes?app_guids=…`, `/v3/spaces?guids=…`,
//     `/v3/route_policies?route_guids=…` for a policy created; nothing for
//     a policy deleted), merging the answers into its view all at once;
//   - lists everything every FullSyncInterval (default 5m), route policies
//     included, to catch what events missed. It pages `/v3/routes` itself
//     (go-cfclient's resource.Domain drops `enforce_route_policies`). A
//     Cloud Controller that predates route policies (`/v3/route_policies`
//     unknown) is synced without them, logged once as
//     `route-policies-unsupported`: none of its domains enforce any. The
//     listing runs in a goroutine of its own while event polling goes on;
//     what events touch meanwhile is re-read once the listing ends, before
//     it replaces the view;
//   - falls back to a full sync when the event list fails, holds more than
//     four pages (20,000 events), carries an event it cannot use, or has not
//     advanced for a full sync interval (so the cursor never outlives Cloud
//     Controller's event retention).
//
// Last good state (design.md §9): a full sync or a targeted refresh that
// fails in any way (CC or UAA unreachable, a 5xx, a timeout, a 401 after
// go-cfclient's own token refresh, malformed JSON, a page or a read failing
// midway) changes nothing and publishes nothing; the events it was acting
// on are read again at the next poll. Failures back off exponentially from
// EventPollInterval up to max(5×EventPollInterval, 1 minute), full syncs and
// event polls each on their own. Nothing is published before the first full
// sync succeeds, and afterwards only values that differ from the last
// published one. Routes and route policies Translate drops are logged once
// when they first appear (`route-rejected`, `route-policy-rejected`, with
// GUID and reason) and when they clear, and counted in gauges.
//
// Start-up: Run builds its go-cfclient clients first, which reads the API
// root to find UAA; while that fails (`connect-failed`) it retries with the
// same backoff, and each failed attempt counts as a failed sync. It builds
// two clients, one for the event loop and one for the full sync, because
// go-cfclient's re-authentication after a 401 is not safe for concurrent
// use.
//
// Logging: session `cc-poller`; the client secret is never logged.
// Metrics: cfmesh_copilot_cc_syncs_total{result} (full syncs),
// ..._full_sync_triggers_total{reason}, ..._sync_duration_seconds,
// ..._last_success_timestamp_seconds, ..._routes, ..._rejected_routes,
// ..._route_policies, ..._rejected_route_policies,
// ..._event_polls_total{result}, ..._events_total{type},
// ..._rejected_events_total, ..._targeted_refreshes_total{result}.
//
// Concurrency: Run owns all of the Poller's state and must be called once;
// besides its own goroutine it runs at most one full-sync listing at a
// time, which shares nothing with it but a channel. publish is called from
// Run's goroutine, one call at a time; it must not block for long, and it
// owns the value it receives (the poller never changes a value after
// publishing it).
package ccpoller
