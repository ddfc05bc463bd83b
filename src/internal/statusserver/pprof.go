package statusserver

import (
	"maps"
	"net/http"
	"net/http/pprof"
)

// withProfiling adds Go's profiler under /debug/pprof/ to a status
// server's debug endpoints: CPU, heap, goroutine and other profiles for
// `go tool pprof http://127.0.0.1:<status port>/debug/pprof/profile`.
// Profiles reveal nothing a debug API does not, but cost CPU while they
// run, so they stay with the debug APIs on loopback.
func withProfiling(debug map[string]http.Handler) map[string]http.Handler {
	out := maps.Clone(debug)
	if out == nil {
		out = map[string]http.Handler{}
	}
	out["/debug/pprof/"] = http.HandlerFunc(pprof.Index)
	out["/debug/pprof/cmdline"] = http.HandlerFunc(pprof.Cmdline)
	out["/debug/pprof/profile"] = http.HandlerFunc(pprof.Profile)
	out["/debug/pprof/symbol"] = http.HandlerFunc(pprof.Symbol)
	out["/debug/pprof/trace"] = http.HandlerFunc(pprof.Trace)
	return out
}
