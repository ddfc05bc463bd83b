// Package mesh defines mesh configuration as Istio API objects: the value
// the copilot compiles from the routing table, serves over MCP, and the
// pilot translates into Envoy configuration.
//
// It is the contract between the two halves of cf-mesh and is shared by
// both: the copilot side (meshconfig, mcpserver) builds Configs and the pilot
// side (mcpclient, meshstore, envoyir) reads them. It imports neither side.
//
// A Resource's Version is a hash of its content, so equal objects always
// carry equal versions and a change to one object changes only its version.
//
// Concurrency: a Config and its Resources are immutable once built; Specs are
// never modified after NewResource.
package mesh
