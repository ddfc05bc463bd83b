// Package routeregistry holds the NATS registration contracts of gorouter
// and of the service-discovery-controller, and the endpoint table they
// feed: the pure core of the copilot's NATS source.
//
// It is part of the first stage of the pipeline
//
//	sources → routing table → mesh config → Envoy IR → xDS
//
// and turns registration payloads into source.Endpoints:
//
//   - `router.register` / `router.unregister` (route-emitter for app
//     instances, route_registrar for platform components) with gorouter's
//     semantics (cloudfoundry/gorouter `mbus/subscriber.go`,
//     `route/pool.go`, `registry/registry.go`, `route/uris.go`):
//     DecodeRegistration validates a message, NormalizeURI computes the key
//     a URI is stored under.
//   - `service-discovery.register` / `service-discovery.unregister`
//     (route-emitter's internal routes, read by cf-networking's
//     service-discovery-controller): DecodeInternalRegistration and
//     NormalizeInternalURI. These endpoints are Internal, have no port and
//     are keyed apart from router.register ones.
//   - Both decoders reject payloads over MaxPayloadBytes before parsing,
//     and read JSON with their own reader, held by fuzz tests to accept and
//     decode exactly what encoding/json (which gorouter and the
//     service-discovery-controller use) does; RejectReason names why a
//     payload was rejected, for a metric.
//   - Table is the endpoint table: per URI, one endpoint per backend, with
//     the time it was last (re-)registered. Register tells whether anything
//     a consumer can see changed, so the steady re-registration every 20 s
//     causes no downstream work, and allocates nothing when it did not.
//     Prune removes endpoints that stopped re-registering (gorouter's and
//     the service-discovery-controller's thresholds), except TLS endpoints,
//     which gorouter never prunes by staleness.
//   - RouterStart and ServiceDiscoveryStart are the start messages and
//     greet replies that make route-emitter re-emit.
//
// The NATS runner lives in the natssubscriber subpackage.
//
// Concurrency: nothing here starts goroutines or reads a clock (callers pass
// `now`). A Table is not safe for concurrent use: its owner serialises
// access, reads included (Endpoints updates the sorted order the table
// keeps between snapshots), so a read lock is not enough. Values returned by Endpoints and Prune share nothing with the
// table.
package routeregistry
