// Package ccpoller is the runner of the Cloud Controller source: it lists
// every route (with its domain) and every process from Cloud Controller v3
// through go-cfclient, translates them with cloudcontroller.Translate, and
// publishes the resulting source.DesiredRoutes to the routing table.
//
//	Cloud Controller ──(go-cfclient, UAA client credentials)──▶ Poller ──publish──▶ routing table
//
// It does a full sync every PollInterval. Cloud Controller offers no cheap
// change feed for destinations: weight changes do not touch a route's
// `updated_at` (cf-contracts.md §4), so anything short of a full list misses
// them. Faster change detection is a later design (issue 3).
//
// Last good state (design.md §9): a sync that fails in any way (CC or UAA
// unreachable, a 5xx, a timeout, a 401 after go-cfclient's own token
// refresh, malformed JSON, a page failing midway) publishes nothing, so the
// mesh keeps the last good routes; the poller then backs off exponentially
// from PollInterval up to max(5×PollInterval, 1 minute). Nothing is published
// before the first successful sync, and afterwards only values that differ
// from the last published one. Routes Translate drops are logged once when
// they first appear (`route-rejected`, with GUID and reason) and when they
// clear, and counted in a gauge; the rest of the sync still counts.
//
// Start-up: Run builds the go-cfclient client first, which reads the API
// root to find UAA; while that fails (`connect-failed`) it retries with the
// same backoff, and each failed attempt counts as a failed sync.
//
// Logging: session `cc-poller`; the client secret is never logged.
// Metrics: cfmesh_copilot_cc_syncs_total{result}, ..._sync_duration_seconds,
// ..._last_success_timestamp_seconds, ..._routes, ..._rejected_routes.
//
// Concurrency: Run owns all of the Poller's state and must be called once.
// publish is called from Run's goroutine, one call at a time; it must not
// block for long, and it owns the value it receives (the poller never
// changes a value after publishing it).
package ccpoller
