// Package mcpserver is the copilot's MCP-over-xDS server: it serves the
// current mesh.Config to pilots and to a real istiod (`configSources: -
// address: xds://...`) over Envoy's Aggregated Discovery Service, in both
// flavours: State of the World (StreamAggregatedResources, what istiod's
// adsc speaks) and Delta (DeltaAggregatedResources, what our pilot uses by
// default).
//
//	meshconfig runner → Server.Publish(mesh.Config) → snapshot (each object encoded once,
//	                    unchanged objects' encodings reused)
//	  → SotW stream:  one DiscoveryResponse per subscribed collection whose version changed
//	  → Delta stream: one DeltaDiscoveryResponse per collection with the objects the client
//	                  lacks or holds in another version, and the names it must drop
//
// It is hand-written rather than built on a go-control-plane cache because
// those caches stamp every resource Any with the request type URL, while
// istiod's client requires `istio.mcp.v1alpha1.Resource` (istio-xds.md §1b).
//
// Contract with clients, both transports:
//   - Nothing is answered before the first Publish: a copilot that has not
//     synced its sources never serves an empty or partial world.
//   - Every requested collection is answered, with the exact type URL it was
//     requested under (`networking.istio.io/v1alpha3/Gateway` and
//     `networking.istio.io/v1/Gateway` are both served). Collections of the
//     form group/version/Kind that cf-mesh does not produce are answered once
//     with an empty response, because istiod and our pilot wait for every
//     collection they asked for. `core/v1alpha1/MeshConfig` and non-MCP type
//     URLs are never answered.
//   - The build marker (mcp.BuildCompleteCollection, ADR 18) is served to
//     a client that subscribes to it by that exact type URL, and to no
//     other (istiod never does). Its one resource names the build: a hash
//     of every collection version of the published snapshot, so equal
//     content gives an equal build on any copilot. Each push pass sends the
//     subscribed collections that changed first, in type URL order, and the
//     marker last, when the snapshot the pass served is another build than
//     the one the client's marker last named. A gRPC stream is ordered, so
//     a client that handles responses in order holds the whole build (of
//     the collections it had subscribed to by then) when the marker
//     arrives; a client subscribes to the marker after its collections.
//     It is ACKed and NACKed like any collection. A collection too large to
//     send does not hold the marker back.
//   - ACKs and NACKs are matched by nonce; a request with another nonce is
//     stale and only its subscription changes count. A NACK is logged
//     (`mcp-nack`) and counted; what was rejected is not sent again until it
//     changes.
//   - A response larger than max_send_message_bytes is not sent (gRPC would
//     end the stream): it is logged as `mcp-response-too-large` and counted.
//
// State of the World: a collection is re-sent whole when its content
// version changes; a request with no nonce asks for the current state again.
//
// Delta: per stream and type URL the server tracks the subscription
// (wildcard, by a first request naming nothing or by "*", and/or names) and
// what the client holds (name → mesh.Resource.Version), seeded from
// initial_resource_versions. It sends only objects the client lacks or
// holds in another version, and removed_resources for names the client
// holds that no longer exist (or asked for by name and that do not exist).
// A client that reconnects declaring the content the copilot has gets
// nothing; one that declares nothing gets a first answer even when the
// collection is empty. One object changed costs one object sent.
//
// Transport settings (message size limits, keepalives) come from GRPCConfig:
// GRPCServerOptions for the gRPC server, WithGRPCConfig for the Server.
//
// Concurrency: Publish may be called from any goroutine and never waits for
// a client. Each stream runs in its gRPC handler goroutine plus one receive
// goroutine; Publish wakes it through a one-slot channel, so bursts of
// Publish coalesce and a slow or stuck client delays only itself.
package mcpserver
