// Package pilot wires the pilot process: an MCP client that follows the
// copilot's mesh configuration, the translation from mesh config through
// the Envoy IR to xDS resources, and the xDS server that proxies connect to.
//
//	copilot ──MCP──▶ mcpclient ─▶ (debounce) ─▶ envoyir ─▶ xdsresources ─▶ xdsserver ──ADS──▶ proxies
//	                     │             ▲
//	                     └─────────────┘ build marker: Flush
//
// MCP delivers a copilot build as one response per changed collection.
// The pilot translates once the copilot's build marker (ADR 18) says the
// build has fully arrived, without waiting for the debounce; the trailing
// debounce (`debounce`, 100ms by default) remains for copilots that do not
// send the marker, and for a build whose marker was lost with its stream.
//
// Endpoints first (ADR 20): a goroutine of its own takes every config as
// it arrives, without the debounce, and sends the load assignments of the
// clusters whose ServiceEntry changed, computed from the immutable index
// the last full translation published; it never waits for a translation in
// progress, and the xDS server keeps the newest config's load assignments.
// While every config since the last full translation changed only which
// instances of known apps serve their hosts, all of them sent early, the
// full translation waits, up to 2 s: instance churn costs one full
// translation per 2 s, not one per instance (ADR 20, second amendment).
// An internal app's instance starting or stopping (its per-instance host
// coming or going) waits alike: gateways and sidecars then hold all they
// will get, and only proxyless clients asking for that host by name get
// its own resources with the full translation (third amendment).
// A full translation that runs gives way, at checkpoints between its
// units, while proxies have not answered an endpoints-first update (at
// most 0.3 s per update and 0.6 s per translation; giveway.go, ADR 20,
// third amendment).
//
// The pilot serves nothing until the MCP client has received every
// collection once, and keeps serving its last configuration while the
// copilot is away.
//
// Concurrency: Run owns every goroutine; MCP updates are handed to the
// translation loop through a mutex-guarded latest value and a debouncer
// (Notify per config, Flush per build marker, both from the MCP client's
// goroutine, in that order), so one translation runs at a time and always
// on the newest config. The endpoints-first loop is woken per config and
// reads only that latest value and the translator's published index; a
// full translation waits up to 200 ms for it to handle its config, and for
// a config it found endpoints-only, on a condition variable that each
// judged config, a timer and the context's end wake. The give-way
// checkpoint runs on the translation goroutine and reads the xDS server's
// atomic count of unanswered responses.
package pilot
