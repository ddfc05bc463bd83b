// Package adsprobe asks an xDS server for resources the way a proxy would
// and returns what it sends, so tests and tools can inspect and validate a
// pilot's output: a wildcard or named request per type over one ADS stream.
//
// Concurrency: a Probe is used by one goroutine.
package adsprobe
