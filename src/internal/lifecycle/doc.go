// Package lifecycle is what both binaries share to start and stop: a lager
// logger at a configured level, and running a process's components
// together so that one failing stops the rest and the process exits with
// its error.
//
// Concurrency: Run starts one goroutine per component and returns when all
// have returned.
package lifecycle
