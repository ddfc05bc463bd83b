// Package debounce coalesces bursts of change notifications into one call:
// the callback runs once the notifications have been quiet for Quiet, or
// MaxDelay after the first unhandled one, whichever comes first, so a steady
// stream of changes cannot starve it. NewLeading also runs it at once for
// the first notification after a quiet spell.
//
// The copilot debounces its sources before rebuilding the mesh config,
// leading edge first (each source's callback carries a whole, consistent
// state); the pilot debounces MCP updates before translating, trailing edge
// only (a new route arrives as ServiceEntry, DestinationRule and
// VirtualService in separate responses, and translating the first alone
// would serve a route to a subset no DestinationRule defines yet).
//
// Concurrency: Notify may be called from any goroutine and never blocks;
// Run calls the callback from its own goroutine, one call at a time.
package debounce
