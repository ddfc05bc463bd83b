// Package natssubscriber is the runner of the copilot's NATS source: it
// speaks gorouter's side of the route-registration protocol and keeps a
// routeregistry.Table up to date.
//
// It subscribes to `router.*`, applies `router.register` and
// `router.unregister` in delivery order, answers `router.greet` with a
// RouterStart, and publishes `router.start` on every connect and reconnect
// so route-emitters re-emit everything (they only schedule periodic
// re-emits after a greet reply or a router.start). It prunes stale
// endpoints every PruneInterval, suspends pruning while NATS is
// disconnected and, on reconnect, gives every endpoint a full threshold to
// re-register.
//
// Wiring: the copilot builds it with New, runs Run in its own goroutine,
// waits for Ready before it publishes a world, and on every onChange
// (which it must coalesce: onChange is called once per table change, must
// not block, and may run on the NATS subscription goroutine or on Run's)
// pulls Endpoints into its routing-table builder.
//
// Concurrency: Run owns the NATS connection and the prune timer; the
// subscription goroutine applies messages. The table is guarded by a mutex;
// Endpoints and Ready are safe to call from any goroutine.
package natssubscriber
