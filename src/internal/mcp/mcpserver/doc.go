// Package mcpserver is the copilot's MCP-over-xDS server: it serves the
// current mesh.Config to pilots (and to a real istiod with
// `configSources: - address: xds://...`) over Envoy's Aggregated Discovery
// Service, State-of-the-World flavour.
//
//	meshconfig runner → Server.Publish(mesh.Config) → snapshot (encoded once)
//	  → every stream: one DiscoveryResponse per subscribed collection whose
//	    version differs from the one the stream last got
//
// It is hand-written rather than built on a go-control-plane cache because
// those caches stamp every resource Any with the request type URL, while
// istiod's client requires `istio.mcp.v1alpha1.Resource` (istio-xds.md §1b).
//
// Contract with clients:
//   - Nothing is answered before the first Publish: a copilot that has not
//     synced its sources never serves an empty or partial world.
//   - Every requested collection is answered, with the exact type URL it was
//     requested under (`networking.istio.io/v1alpha3/Gateway` and
//     `networking.istio.io/v1/Gateway` are both served). Collections of the
//     form group/version/Kind that cf-mesh does not produce are answered with
//     an empty list, because istiod waits for every collection it asked for.
//     `core/v1alpha1/MeshConfig` and non-MCP type URLs are never answered.
//   - A collection is re-sent only when its content version changes. A NACK
//     is logged and counted; the rejected version is not sent again.
//   - Requests whose nonce is not the last one sent for their type URL are
//     stale and ignored. A request with no nonce re-subscribes.
//
// Concurrency: Publish may be called from any goroutine and never waits for
// a client. Each stream runs in its gRPC handler goroutine plus one receive
// goroutine; Publish wakes it through a one-slot channel, so bursts of
// Publish coalesce and a slow or stuck client delays only itself.
package mcpserver
