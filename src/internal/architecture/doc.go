// Package architecture checks the pipeline's shape from the source files:
// data flows one way (sources → routing table → mesh config → Envoy IR →
// xDS), the copilot and pilot halves meet only in shared packages, and pure
// stages touch no sockets, goroutines or clocks.
//
// The rules live in Layers, one entry per package under internal/. A new
// package must be added there; the check fails on an unclassified one, so
// nobody can step around the rules by creating a package.
//
// Concurrency: Check is a pure function of the files it reads.
package architecture
