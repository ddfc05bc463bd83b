// Package meshstore holds the pilot's view of the mesh: the last accepted
// objects of each kind the pilot subscribes to over MCP.
//
//	SotW response  → mcp.DecodeCollection → Store.Apply      ┐
//	Delta response → mcp.DecodeDelta      → Store.ApplyDelta ┴→ Store.Config → Envoy IR
//
// Apply replaces a whole collection (State of the World); ApplyDelta adds,
// replaces and removes single objects (incremental xDS). Both report whether
// anything changed by key and content version, so an unchanged re-send never
// reaches the translator. Versions gives what a Delta client declares in
// initial_resource_versions when it reconnects, so a copilot that already
// has the same content sends nothing.
//
// A Store is synced once every subscribed kind has been received at least
// once (an empty collection or an empty delta counts). Until then it yields
// no Config, so a freshly started pilot never translates an empty or partial
// world (design.md decision 9).
//
// The package is pure: no goroutines, no clock, no I/O.
//
// Concurrency: a Store is an immutable value. Apply and ApplyDelta return a
// new Store (copy on write) and leave the receiver unchanged, so a Store may
// be shared between goroutines without locks; the runner (mcpclient) owns
// the current one.
package meshstore
