// Package localfoundation runs a small Cloud Foundry routing world on
// 127.0.0.1 for `scripts/run`: an embedded NATS, the real copilot and pilot
// binaries (mutual TLS between them), sample app instances that register
// over NATS like Diego's route-emitter, a proxyless gRPC client that shows
// the weighted split live, and an Envoy gateway bootstrap (Envoy itself is
// started when it is on PATH).
//
// Routes come from a YAML route file (see source/routefile) in place of
// Cloud Controller; the copilot re-reads it, so editing weights changes the
// split while it runs.
//
// Concurrency: Run owns every goroutine and child process and stops them
// all when its context ends.
package localfoundation
