// Package cloudcontroller turns what Cloud Controller v3 reports (routes with
// their destinations, domains, processes, as decoded by go-cfclient's
// resource types) into source.DesiredRoutes.
//
// It is the pure core of the Cloud Controller source, the first stage of the
// pipeline
//
//	sources → routing table → mesh config → Envoy IR → xDS
//
// Its runner, ccpoller, lists the resources through go-cfclient and
// publishes what Translate returns.
//
// Bad input never poisons the result (design.md §8): a route whose domain is
// unknown, whose destination has no app, or whose weights break Cloud
// Controller's rules (all-or-none, each 1..100, summing to 100) is dropped and
// reported as one *RouteError; every other route still flows. TCP routes are
// skipped silently: the mesh routes HTTP only.
//
// Concurrency: Translate holds no state and does not modify its arguments;
// its result shares no memory with them.
package cloudcontroller
