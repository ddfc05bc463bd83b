// Package cloudcontroller turns what Cloud Controller v3 reports (routes with
// their destinations, domains, apps, processes, spaces, route policies, and
// audit events, as decoded by go-cfclient's resource types) into
// source.DesiredRoutes.
//
// It is the pure core of the Cloud Controller source, the first stage of the
// pipeline
//
//	sources → routing table → mesh config → Envoy IR → xDS
//
// Its runner, ccpoller, reads Cloud Controller through go-cfclient and
// publishes what a View translates to.
//
//   - Translate reduces a Foundation (one consistent listing) to desired
//     routes.
//   - View is the runner's copy of Cloud Controller: a full sync with
//     targeted refreshes (Delta) merged in.
//   - EventTypes, PlanRefresh and EventCursor are change detection (ADR 8):
//     which audit events matter, what each requires re-reading, and how far
//     the event log has been read, deduplicating events by GUID within a
//     lookback window because Cloud Controller stamps them in whole seconds
//     and may commit them out of order.
//   - DecodeRoutePage decodes the route pages the runner reads itself,
//     with the domains' route policy settings (DomainPolicy), which
//     go-cfclient's resource.Domain does not decode.
//   - Route policies (RFC-0055, `/v3/route_policies`): a route on a domain
//     that enforces them gets EnforceRoutePolicies and the callers its
//     policies admit (source.ParseCaller of each policy's `source`), with
//     the domain's `route_policies_scope` (any, org, space: the operator's
//     boundary on callers) folded in against the route's own space and
//     organization, so downstream sees only plain principals (scope.go,
//     ADR 8). View.UnknownCallers names the apps and spaces a refresh must
//     read for the scope to place new callers.
//
// Bad input never poisons the result (design.md §8): a route whose domain is
// unknown, whose destination has no app, or whose weights break Cloud
// Controller's rules (all-or-none, each 1..100, summing to 100) is dropped and
// reported as one *RouteError; every other route still flows. TCP routes are
// skipped silently: the mesh routes HTTP only. A route policy whose source
// does not parse, or whose caller the scope cannot place because the view
// does not know the app, space or route space it needs, is dropped and
// reported as one *RoutePolicyError: its route admits fewer callers (fail
// closed). A caller outside the scope is dropped silently. An audit event that cannot be used is
// reported as an *EventError.
//
// Concurrency: Translate, PlanRefresh and DecodeRoutePage hold no state and
// do not modify their arguments; Translate's result shares no memory with
// them. EventCursor is a value and safe to copy. A View is not safe for
// concurrent use; it keeps pointers to the resources it is given, which the
// caller must not change afterwards.
package cloudcontroller
