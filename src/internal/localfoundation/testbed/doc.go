// Package testbed starts the local foundation for the acceptance suite
// (acceptance/local) and disrupts it on purpose. It is harness, outside the
// pipeline it drives:
//
//	Cloud Controller stand-in + NATS → copilot → MCP → pilot → xDS → clients
//
// What a Foundation runs, all on loopback:
//   - the real `copilot` and `pilot` binaries (Build compiles them once per
//     run), child processes with configuration files as BOSH would render
//     them, mutual TLS between them, logs in the work directory;
//   - the Cloud Controller stand-in (localfoundation/cloudcontroller) in this
//     process, which the copilot reads through go-cfclient;
//   - an embedded NATS that can go down and come back on the same port;
//   - the route-emitter simulator and sample app instances (backends), each
//     instance on its own loopback address (its "container IP") and the
//     foundation's one container port, so internal routes work as on Diego;
//   - an Envoy ingress gateway when an `envoy` binary is on PATH;
//   - cf-networking's policy server stand-in (localfoundation/policyserver),
//     which the copilot polls, and an instance identity CA. StartMeshPilot
//     adds a cell's pilot with mesh mutual TLS and a containers listener;
//     ServeMesh serves an internal route from a proxyless gRPC app
//     (localfoundation/meshapp) on MeshContainerIP, the copilot's whole
//     container network, and MeshIdentity issues callers' identities.
//
// Apps and routes are made the way a cf user makes them (PushApp,
// CreateRoute, MapRoute, UnmapRoute, StopInstances); Cloud Controller's API
// itself is reached with go-cfclient (CFClient) for what a test wants to do
// "through the API", e.g. a weight PATCH.
//
// Faults end by themselves: NATSOutage restarts NATS after its duration and
// CloudControllerOutage answers 500s and hangs only inside its time window.
// Process.Kill and Process.Stop end a copilot or pilot (SIGKILL, SIGTERM) and
// Process.Start brings it back with the same configuration.
//
// Observers: Load keeps calling a route and counts failed calls, Watcher
// follows a pilot's xDS stream as a proxy does and records every response
// (to prove nothing shrank or changed), Metric reads a process's Prometheus
// metrics.
//
// Concurrency: a Foundation's methods may be called from any goroutine; Load
// and Watcher run their own goroutine until stopped; Stop ends everything the
// Foundation started, including running faults.
package testbed
