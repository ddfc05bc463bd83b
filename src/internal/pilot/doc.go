// Package pilot wires the pilot process: an MCP client that follows the
// copilot's mesh configuration, the translation from mesh config through
// the Envoy IR to xDS resources, and the xDS server that proxies connect to.
//
//	copilot ──MCP──▶ mcpclient ─▶ (debounce) ─▶ envoyir ─▶ xdsresources ─▶ xdsserver ──ADS──▶ proxies
//
// The pilot serves nothing until the MCP client has received every
// collection once, and keeps serving its last configuration while the
// copilot is away.
//
// Concurrency: Run owns every goroutine; MCP updates are handed to the
// translation loop through a mutex-guarded latest value and a debouncer, so
// one translation runs at a time and always on the newest config.
package pilot
