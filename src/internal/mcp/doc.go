// Package mcp is the wire codec of the copilot→pilot link: MCP over xDS, as
// istiod's `configSources: xds://` client (istio/istio pkg/adsc) speaks it,
// plus the incremental (Delta xDS) form our own pilot uses.
//
//	copilot: mesh.Config → EncodeCollection (SotW) / EncodeResource (Delta)
//	pilot:   DiscoveryResponse.resources      → DecodeCollection → []mesh.Resource
//	         DeltaDiscoveryResponse resources → DecodeDelta      → Delta{Updated, Removed, Rejected}
//
// Each object travels as an Any of type ResourceTypeURL
// (`istio.mcp.v1alpha1.Resource`) whose metadata name is `namespace/name`,
// whose metadata version is the object's content hash, and whose body is an
// Any of the kind's Istio proto (`istio.networking.v1alpha3.VirtualService`,
// ...), whatever API version string the collection was requested under.
// EncodeResource gives the same bytes as EncodeCollection does for the same
// object, so a server may encode once and serve both transports. In a Delta
// response the xDS resource name and version repeat the metadata name and
// version.
//
// One collection is cf-mesh's own, not Istio's: the build marker,
// BuildCompleteCollection (`mcp.cf-mesh.cloudfoundry.org/v1alpha1/BuildComplete`,
// ADR 18). Its one resource, named BuildCompleteName, says in its metadata
// version which build (published snapshot) the server has finished sending
// on the stream. EncodeBuildComplete writes it; DecodeBuildComplete (SotW)
// and DecodeBuildCompleteDelta (Delta) read it, strictly, and read an empty
// answer, what a server without the marker sends for an unknown collection,
// as "no marker" rather than an error. mesh.ParseCollection does not know
// it, so it never becomes a mesh kind.
//
// Decoding is strict. DecodeCollection rejects a whole collection for one
// malformed object, so a State-of-the-World client NACKs it and keeps its
// last good collection. DecodeDelta judges each entry on its own and
// reports the bad ones by name, so a Delta client applies the good changes,
// keeps its last good version of the bad objects and NACKs the response.
//
// The codec is pure: it holds no state, starts no goroutines and does no I/O.
// Transport lives in the runners mcpserver (copilot side) and mcpclient
// (pilot side).
//
// Concurrency: every function is safe for concurrent use.
package mcp
