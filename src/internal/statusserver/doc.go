// Package statusserver serves what BOSH, load balancers and Prometheus ask a
// cf-mesh process: `/metrics`, `/healthz` (the process is alive) and
// `/readyz` (it has synced and serves configuration; 503 until then), and
// the process's debug endpoints under `/debug/`, Go's profiler
// (`/debug/pprof/`) among them on the status server.
//
// It binds to loopback unless told otherwise: debug and status endpoints are
// never exposed on a public interface by default (design.md decision 8).
//
// Concurrency: Run serves concurrently until its context ends.
package statusserver
