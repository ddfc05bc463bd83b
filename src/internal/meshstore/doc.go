// Package meshstore holds the pilot's view of the mesh: the last accepted
// collection of each kind the pilot subscribes to over MCP.
//
//	MCP response → mcp.DecodeCollection → Store.Apply → Store.Config → Envoy IR
//
// A Store is synced once every subscribed kind has been received at least
// once (an empty collection counts). Until then it yields no Config, so a
// freshly started pilot never translates an empty or partial world
// (design.md decision 9).
//
// The package is pure: no goroutines, no clock, no I/O.
//
// Concurrency: a Store is an immutable value. Apply returns a new Store and
// leaves the receiver unchanged, so a Store may be shared between goroutines
// without locks; the runner (mcpclient) owns the current one.
package meshstore
