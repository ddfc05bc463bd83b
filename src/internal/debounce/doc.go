// Package debounce coalesces bursts of change notifications into one call:
// the callback runs once the notifications have been quiet for Quiet, or
// MaxDelay after the first unhandled one, whichever comes first, so a steady
// stream of changes cannot starve it.
//
// The copilot debounces its sources before rebuilding the mesh config; the
// pilot debounces MCP updates before translating (a new route arrives as
// ServiceEntry, DestinationRule and VirtualService in separate responses).
//
// Concurrency: Notify may be called from any goroutine and never blocks;
// Run calls the callback from its own goroutine, one call at a time.
package debounce
