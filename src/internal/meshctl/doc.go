// Package meshctl is the logic of the `meshctl` command: an operator's and
// an app developer's view into cf-mesh, outside the pipeline
//
//	sources → routing table → mesh config → MCP → pilot → Envoy IR → xDS
//
// which it only reads (and, for weights, writes back at its source, Cloud
// Controller). Its commands:
//
//   - `routes`: the copilot's routing table (its loopback status server's
//     `/debug/routes`), like gorouter's `/routes`, with weights, the share
//     each destination gets (ADR 5) and the endpoints.
//   - `proxies`: every proxy connected to a pilot (`/debug/syncz`): class,
//     versions sent and ACKed per xDS type, NACKs, last error.
//   - `config-dump NODE`: what a pilot serves one proxy, in Envoy's
//     config_dump format (`/debug/config_dump`).
//   - `bootstrap gateway`: a validated Envoy bootstrap for an ingress gateway
//     (gatewaybootstrap).
//   - `weights get|set|reset ROUTE`: Cloud Controller route destination
//     weights, checked against Cloud Controller's rules before the request,
//     through go-cfclient with the cf CLI's own login (CF_HOME). The cf CLI
//     has no weight flag and `cf map-route`/`cf unmap-route` fail on weighted
//     routes; ADR 12 says why this is not a cf CLI plugin.
//
// The rules for weights (ParseWeightArg, PlanWeights, PlanReset,
// CheckWeights) and the table renderers are pure functions; Run and the
// Cloud Controller and status-server clients do the I/O.
//
// Concurrency: Run executes one command and returns; nothing in the package
// starts goroutines or keeps state between calls.
package meshctl
