// Package copilot wires the copilot process: the route source (Cloud
// Controller, or a route file for the local foundation), the NATS route
// registrations, the join into a routing table, the compilation into mesh
// config, and the MCP server the pilots follow.
//
//	Cloud Controller / route file ─┐
//	                               ├─▶ (debounce) ─▶ routingtable ─▶ meshconfig ─▶ mcpserver ──MCP──▶ pilots
//	NATS router.register ──────────┘
//
// The copilot publishes nothing until the route source has synced once and
// NATS has had one registration interval to re-emit every endpoint, so a
// restarted copilot never serves a world without routes or endpoints.
//
// Endpoints first (ADR 20): a goroutine of its own builds the objects of
// the hosts whose NATS endpoints changed, alone, and publishes them in the
// last published config, at once and also while a full build runs, so the
// pilots see an instance start or stop without waiting for the whole
// foundation to be joined and compiled again. A full build of an older
// endpoint snapshot keeps those objects (they are newer); the next one
// takes over. When those publishes changed only endpoints, or an internal
// app's instance started or stopped (its per-instance host came or went,
// ADR 20 third amendment), the full build that would publish the same is
// left out (adopt.go).
//
// Concurrency: Run owns every goroutine. Sources hand their values over
// under a mutex and notify the debouncer (NATS changes also wake the
// endpoints-first goroutine); one full build runs at a time, and the
// builder orders its publishes with the endpoints-first goroutine's.
package copilot
