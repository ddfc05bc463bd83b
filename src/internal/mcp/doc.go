// Package mcp is the wire codec of the copilot→pilot link: MCP over xDS, as
// istiod's `configSources: xds://` client (istio/istio pkg/adsc) speaks it.
//
//	copilot: mesh.Config → EncodeCollection → DiscoveryResponse.resources
//	pilot:   DiscoveryResponse.resources → DecodeCollection → []mesh.Resource
//
// Each object travels as an Any of type ResourceTypeURL
// (`istio.mcp.v1alpha1.Resource`) whose metadata name is `namespace/name`,
// whose metadata version is the object's content hash, and whose body is an
// Any of the kind's Istio proto (`istio.networking.v1alpha3.VirtualService`,
// ...), whatever API version string the collection was requested under.
//
// The codec is pure: it holds no state, starts no goroutines and does no I/O.
// Transport lives in the runners mcpserver (copilot side) and mcpclient
// (pilot side). Decoding is strict: one malformed object rejects the whole
// collection, so the pilot NACKs it and keeps its last good state.
//
// Concurrency: every function is safe for concurrent use.
package mcp
