// Package routeemitter is a route-emitter simulator for the local
// foundation and the end-to-end tests: it registers app instances over NATS
// the way Diego's route-emitter does (cloudfoundry/route-emitter
// `routingtable/registry_message.go`, `emitter/nats_emitter.go`,
// `scheduler/routebroadcastscheduler.go`), so the copilot is exercised
// against the real protocol, not against its own decoder.
//
// It is a test and demo harness, not part of the copilot's pipeline. It has
// its own Message type with route-emitter's JSON field names and does not
// import the copilot's routeregistry package on purpose.
//
// Behaviour kept from route-emitter: registrations are published as soon as
// they happen (and all of them once at start-up, like its first BBS sync);
// periodic re-emits only start after a router answered router.greet
// (retried every second) or published router.start; they repeat every
// minimumRegisterIntervalInSeconds; a later router.start sets the interval
// anew and, after a random jitter (factor 0.2), re-emits at once. Internal
// routes (Options.EmitInternalRoutes, route-emitter's
// `internal_routes.enabled`) go to `service-discovery.register` /
// `service-discovery.unregister` with a schedule of their own, greeted on
// `service-discovery.greet` and reset by `service-discovery.start`, as
// route-emitter runs a second scheduler for them.
//
// Not kept: route-emitter gives up (and exits) after 30 unanswered greets,
// and repeats every unregister 20 times; the simulator greets until
// answered and unregisters once.
//
// Concurrency: Register, Unregister, RegisterInternal and
// UnregisterInternal are safe to call from any goroutine, before or during
// Run. Before Run has connected they only change the set that Run emits.
package routeemitter
