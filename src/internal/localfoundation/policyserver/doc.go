// Package policyserver is a stand-in for cf-networking's policy server
// internal API (cf-networking-release policy-server-internal, cf-contracts.md
// §9): an HTTPS server on 127.0.0.1 that requires a client certificate
// signed by a CA it is given (mutual TLS, as the real one does with its
// `ca_cert`) and answers `GET /networking/v1/internal/policies[?id=…]` in
// the real JSON shape:
//
//	{"total_policies":N,"policies":[{"source":{"id":"<app guid>","tag":"0001"},
//	  "destination":{"id":"<app guid>","tag":"0002","protocol":"tcp","ports":{"start":8080,"end":8080}}}]}
//
// `id` filters, as the real handler does, to policies whose source or
// destination is one of its comma-separated IDs. Every other path answers
// 404.
//
// It is test and demo harness, not part of the pipeline: it stands where a
// foundation's policy server stands, in front of the copilot's policy
// source (source/networkpolicy/policypoller). Tests add and remove policies
// with Go methods, and make it fail: Fail answers every request with a
// status (500 by default) and the policy server's error JSON, Hang holds
// every request until the client gives up, Recover ends either. Policies
// are served as given, unchecked, so a test can serve entries the real
// policy server would refuse to store.
//
// Concurrency: every method may be called from any goroutine, while the
// server serves.
package policyserver
