// Package mcpclient is the pilot's MCP-over-xDS client: it subscribes to the
// copilot's mesh collections, keeps the last accepted objects of each kind
// in a meshstore.Store, and hands the whole mesh.Config to the pilot's
// translator.
//
//	copilot (mcpserver) → Delta ADS stream → mcp.DecodeDelta      → Store.ApplyDelta ┐
//	                    → SotW ADS stream  → mcp.DecodeCollection → Store.Apply      ┴→ onConfig(mesh.Config)
//	                    → either, last     → mcp.DecodeBuildComplete(Delta) (marker) ─→ onBuildComplete()
//
// Contract:
//   - Transport "delta" (default) speaks incremental xDS: one wildcard
//     subscription per kind, declaring in initial_resource_versions every
//     object the store holds, so a reconnect to a copilot with the same
//     content transfers nothing and one with other content only the
//     difference. Transport "sotw" speaks State of the World, for servers
//     that speak nothing else; every change re-sends a whole collection.
//   - Collections are requested under KindInfo.Collection(Version)
//     (e.g. `networking.istio.io/v1/Gateway`), as an api generator node.
//   - SotW: a response that fails mcp.DecodeCollection is NACKed (with the
//     last accepted version) and the last good collection is kept.
//     Delta: each object is judged on its own; good ones are applied, a bad
//     one keeps its last good version (or stays absent), and the response
//     is NACKed naming the bad ones. Both ACK by nonce.
//   - Sync gate: onConfig is first called once every subscribed kind has
//     been answered (an empty answer counts), then on every accepted change.
//     Collections travel in separate responses, so a change that touches
//     several kinds reaches onConfig as several calls; the consumer
//     debounces. It is never called because a stream broke: while
//     disconnected, the pilot keeps serving the last config it got.
//   - Build marker (WithBuildComplete, ADR 18): the client also subscribes,
//     last on each stream, to mcp.BuildCompleteCollection and calls
//     onBuildComplete each time it accepts a marker while the store is
//     synced. The copilot sends a build's marker after the build's
//     collections and responses are handled in order, so by then every
//     collection of that build has been applied and handed to onConfig;
//     the consumer may stop waiting for more. A malformed marker is NACKed
//     and calls nothing. A copilot without the marker answers it once,
//     empty: that is ACKed, logged (`build-marker-not-served`) and calls
//     nothing, and the marker never counts towards the sync gate nor
//     enters the store, so the consumer's debounce carries on alone.
//   - A lost stream or failed dial is retried with exponential backoff (100
//     ms to 5 s, jittered), trying the configured copilots round-robin.
//     Keepalive pings (15 s idle, 10 s timeout by default) notice a copilot
//     that stopped answering without closing the connection.
//   - A response over max_receive_message_bytes ends the stream with gRPC
//     ResourceExhausted, logged as `mcp-message-too-large`.
//
// Concurrency: Run owns all state and must be called once. onConfig and
// onBuildComplete are called from Run's goroutine, in stream order and
// before the response is ACKed; they should hand off rather than block for
// long.
package mcpclient
