// Package meshbench is the scale benchmark of issue 8 (scripts/bench,
// cmd/meshbench): a harness, not part of the pipeline. It seeds a Cloud
// Controller stand-in and route-emitter-like NATS registrations for a
// foundation of a given Size, runs the real copilot and pilot (as child
// processes, or in process for the smoke test) and a fleet of simulated
// proxies (ADS clients: gateways over SotW and Delta, proxyless gRPC
// clients, container sidecars each dialling from its own 127.x.y.z
// address), and measures cold start, steady re-registration, NATS ingest
// and the convergence of endpoint and weight changes (change → ACK by
// every subscribed proxy). It then makes the same kinds of change against
// Naive, a control plane that pushes a full go-control-plane snapshot to
// every proxy on every change, and reports both side by side (Report,
// Markdown, WriteDoc for the "Scale" section of docs/performance.md).
//
// Everything listens on loopback only and is bounded by counts and
// timeouts. Run may be called once at a time: it owns goroutines (the
// emitter, the fleet, in-process control planes) that it stops before it
// returns. Naive is a lifecycle.Process run by `meshbench naive-pilot`.
package meshbench
