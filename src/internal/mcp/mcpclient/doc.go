// Package mcpclient is the pilot's MCP-over-xDS client: it subscribes to the
// copilot's mesh collections, keeps the last accepted objects of each kind
// in a meshstore.Store, and hands the whole mesh.Config to the pilot's
// translator.
//
//	copilot (mcpserver) → Delta ADS stream → mcp.DecodeDelta      → Store.ApplyDelta ┐
//	                    → SotW ADS stream  → mcp.DecodeCollection → Store.Apply      ┴→ onConfig(mesh.Config)
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
//   - A lost stream or failed dial is retried with exponential backoff (100
//     ms to 5 s, jittered), trying the configured copilots round-robin.
//     Keepalive pings (15 s idle, 10 s timeout by default) notice a copilot
//     that stopped answering without closing the connection.
//   - A response over max_receive_message_bytes ends the stream with gRPC
//     ResourceExhausted, logged as `mcp-message-too-large`.
//
// Concurrency: Run owns all state and must be called once. onConfig is
// called from Run's goroutine, before the response is ACKed; it should hand
// the Config off rather than block for long.
package mcpclient
