// Package debounce coalesces bursts of change notifications into one call:
// the callback runs once the notifications have been quiet for Quiet, or
// MaxDelay after the first unhandled one, whichever comes first, so a steady
// stream of changes cannot starve it. NewLeading also runs it at once for
// the first notification after a quiet spell.
//
// Flush says the state notified so far is consistent: the callback runs for
// it at once, ending a settle in progress, instead of after the quiet. It
// vouches only for what was notified before it: a notification after a
// Flush settles again (or waits for the next Flush), and a Flush with
// nothing notified since the last run does nothing.
//
// The copilot debounces its sources before rebuilding the mesh config,
// leading edge first (each source's callback carries a whole, consistent
// state); the pilot debounces MCP updates before translating, trailing edge
// (a new route arrives as ServiceEntry, DestinationRule and VirtualService
// in separate responses, and translating the first alone would serve a
// route to a subset no DestinationRule defines yet), and flushes when the
// copilot's build marker says a build has fully arrived (ADR 18); the
// quiet remains the fallback for copilots without the marker.
//
// Concurrency: Notify, Flush and Clear may be called from any goroutine and
// never block; Run calls the callback from its own goroutine, one call at a
// time. A caller stores the state before it calls Notify or Flush, so the
// run those start reads it.
package debounce
