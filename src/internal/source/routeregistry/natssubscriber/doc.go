// Package natssubscriber is the runner of the copilot's NATS source: it
// speaks gorouter's side of the route-registration protocol and the
// service-discovery-controller's side of the internal-route protocol, and
// keeps a routeregistry.Table up to date.
//
// It subscribes to `router.*` and `service-discovery.*`, applies
// registrations and unregistrations of each in delivery order, answers
// `router.greet` and `service-discovery.greet`, and publishes
// `router.start` and `service-discovery.start` on every connect and
// reconnect and again a greet window later, so route-emitters re-emit
// everything (they only schedule periodic re-emits, one schedule for each,
// after a greet reply or a start message: the first start ends every greet
// loop, the second finds every route-emitter greeted and makes it re-emit
// within its jitter). Ready
// closes once the first sync is over: every route-emitter has had time to
// re-emit and the table has gone quiet, or InitialSyncWait has passed
// (initialSyncEnd, ADR 16). A rejected message is counted by reason
// (cfmesh_copilot_nats_rejected_messages_total) and logged once. It prunes
// stale endpoints every PruneInterval, suspends pruning while NATS is
// disconnected and, on reconnect, gives every endpoint a full threshold to
// re-register.
//
// Wiring: the copilot builds it with New, runs Run in its own goroutine,
// waits for Ready before it publishes a world, and on every onChange
// (which it must coalesce: onChange is called once per table change, must
// not block, and may run on either NATS subscription goroutine or on Run's)
// pulls Endpoints into its routing-table builder.
//
// Concurrency: Run owns the NATS connection and the prune, greet-window
// and initial-sync timers; the two subscription goroutines apply messages
// and answer greets, and record when for the initial sync. The table and
// those times are guarded by a mutex; Endpoints and Ready are safe to call
// from any goroutine.
package natssubscriber
