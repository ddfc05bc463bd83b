// Package routingtable joins what Cloud Controller desires with what NATS
// reports into one routing table: every HTTP route with its destinations,
// their weights and their live endpoints.
//
// Build is a pure function: the same DesiredRoutes and Endpoints always give
// the same Table. It is the second stage of the pipeline
//
//	sources → routing table → mesh config → Envoy IR → xDS
//
// Join rule (design.md §3): a Cloud Controller destination {app, process
// type} owns the NATS endpoints registered for the route's URI whose `app`
// (or `tags.app_id`) is the destination's app and whose `tags.process_type`
// is the destination's process type (an endpoint without a process type
// matches `web`). Endpoints of apps the route does not map are ignored: Cloud
// Controller decides the mapping. URIs that exist only in NATS (api, uaa and
// other route_registrar routes) become routes with one equally weighted
// destination per app.
//
// Internal routes: service discovery (`service-discovery.register`)
// registers container IPs without a port; such an endpoint takes its
// destination's container port, and a NATS-only URI whose endpoints are
// internal is an internal route. A per-instance host
// `<index>.<host>.apps.internal`, NATS-only, takes the port of its app's
// destination on the internal route `<host>.apps.internal`; any other
// NATS-only internal URI takes 8080 (DefaultPort).
//
// BuildHosts is Build for a few hosts, read from their own desired routes
// and endpoints: the copilot's endpoints-first build (ADR 20).
//
// Concurrency: Build and BuildHosts hold no state; a Table is immutable
// once built.
package routingtable
