// Package mcpclient is the pilot's MCP-over-xDS client: it subscribes to the
// copilot's mesh collections over State-of-the-World ADS, keeps the last
// accepted collection of each kind, and hands the whole mesh.Config to the
// pilot's translator.
//
//	copilot (mcpserver) → ADS stream → mcp.DecodeCollection → meshstore.Store
//	  → onConfig(mesh.Config) → Envoy IR → xDS
//
// Contract:
//   - One request per subscribed kind, under the type URL
//     KindInfo.Collection(Version) (e.g. `networking.istio.io/v1/Gateway`).
//   - Every response that decodes is ACKed (version_info + nonce). A response
//     that fails mcp.DecodeCollection is NACKed (error_detail, with the last
//     accepted version) and the last good collection is kept.
//   - Sync gate: onConfig is first called once every subscribed kind has been
//     received (an empty collection counts), then on every accepted change.
//     Collections travel in separate responses, so a change that touches
//     several kinds reaches onConfig as several calls, one per collection;
//     the consumer debounces.
//     It is never called because a stream broke: while disconnected, the
//     pilot keeps serving the last config it got.
//   - A lost stream or failed dial is retried with exponential backoff (100
//     ms to 5 s, jittered), trying the configured copilots round-robin.
//
// Concurrency: Run owns all state and must be called once. onConfig is
// called from Run's goroutine, before the response is ACKed; it should hand
// the Config off rather than block for long.
package mcpclient
