// Package policypoller is the runner of the container-to-container policy
// source: it reads cf-networking's policy server internal API
// (`GET /networking/v1/internal/policies`, mutual TLS) every PollInterval,
// decodes the answer with the networkpolicy core, and publishes
// source.NetworkPolicies with whether they are current.
//
//	policy server ──(HTTPS, client certificate)──▶ Poller ──publish(policies, current)──▶ mesh config
//
// Last good state (design.md §9, issue 5: "a policy source outage keeps the
// last good policies"). Nothing is published before the first successful
// read. After it, publish(policies, true) follows every successful read
// whose policies differ from the last published ones; the first failed read
// after a success (connection refused, TLS refused, a non-200 answer, a
// request timeout, a body that is not the API's shape) publishes the last
// good policies with current false, and the next success publishes with
// current true again. An outage therefore never empties the policy list;
// what the consumer does with stale policies (keep enforcing them: fail
// closed for new destinations, never open) is its decision. Entries the
// core drops (not app GUIDs, bad ports, unknown protocols) are left out of
// an otherwise good list.
//
// Reads are spaced PollInterval apart, each bounded by RequestTimeout, so a
// hanging server delays the next read rather than piling requests up. The
// client does not use the environment's HTTP proxy: the policy server is a
// bosh-dns name inside the foundation. The client certificate and key are
// re-read when their files change (tlsconfig), so CredHub rotation needs no
// restart.
//
// Logging: session `policy-poller`; one line per state change: `synced`
// (first success, with the count), `source-lost` (with the error),
// `source-back`; `policies-changed` when a read changes the list;
// `poll-failed` for the first failure before the first success (later ones
// at debug level, `poll-still-failing`); each
// rejected entry once (`policy-rejected`) while it stays in the list. Key
// material is never logged.
// Metrics: cfmesh_copilot_policy_server_polls_total{result},
// cfmesh_copilot_network_policies (gauge),
// cfmesh_copilot_policy_server_last_success_timestamp_seconds,
// cfmesh_copilot_policy_server_rejected_policies (gauge, entries dropped
// from the last good list).
//
// Concurrency: Run owns all of the Poller's state and must be called once.
// publish is called from Run's goroutine, one call at a time; it must not
// block for long, and it owns the slice it receives (the poller never
// changes a value after publishing it, and may publish the same value again
// with a different current).
package policypoller
