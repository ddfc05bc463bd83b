// Package routeregistry holds gorouter's NATS route-registration contract
// and the endpoint table it feeds: the pure core of the copilot's NATS
// source.
//
// It is part of the first stage of the pipeline
//
//	sources → routing table → mesh config → Envoy IR → xDS
//
// and turns `router.register` / `router.unregister` payloads (from
// route-emitter and route_registrar) into source.Endpoints, with gorouter's
// semantics (cloudfoundry/gorouter `mbus/subscriber.go`, `route/pool.go`,
// `registry/registry.go`, `route/uris.go`):
//
//   - DecodeRegistration validates a message; NormalizeURI computes the key
//     a URI is stored under.
//   - Table is the endpoint table: per URI, one endpoint per backend address
//     (host plus upstream port, the TLS port when one is registered), with
//     the time it was last (re-)registered. Register tells whether anything a
//     consumer can see changed, so the steady re-registration every 20 s does
//     not cause downstream work. Prune removes endpoints that stopped
//     re-registering, except TLS endpoints, which gorouter never prunes by
//     staleness.
//   - RouterStart is the `router.start` message and `router.greet` reply.
//
// The NATS runner lives in the natssubscriber subpackage.
//
// Concurrency: nothing here starts goroutines or reads a clock (callers pass
// `now`). A Table is not safe for concurrent use: its owner serialises
// access. Values returned by Endpoints and Prune are deep copies.
package routeregistry
