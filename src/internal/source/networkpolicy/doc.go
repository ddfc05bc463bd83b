// Package networkpolicy decodes cf-networking's container-to-container
// policies, as the policy server's internal API
// (`GET /networking/v1/internal/policies`, cf-contracts.md §9) lists them,
// into source.NetworkPolicies: which app may reach which app's ports.
//
// It is a pure core of the first pipeline stage
//
//	sources → routing table → mesh config → Envoy IR → xDS
//
// and its runner, policypoller, polls the policy server over mutual TLS and
// publishes what Decode returns.
//
// Bad input never poisons the result (design.md §8): an entry whose source
// or destination is not an app GUID, whose ports are outside 1..65535 or
// run backwards, or whose protocol is neither tcp nor udp is dropped and
// reported as one *PolicyError naming it; every other entry still flows. A
// response that is not the API's shape at all (not JSON, no `policies`
// list, a `total_policies` that disagrees with the list) is refused as a
// whole, so a broken answer is never mistaken for "no policies".
//
// Concurrency: Decode holds no state; its result shares no memory with its
// input.
package networkpolicy
