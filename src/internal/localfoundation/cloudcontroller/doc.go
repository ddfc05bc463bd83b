// Package cloudcontroller is a Cloud Controller v3 stand-in: an http.Handler
// that serves the documented v3 JSON for what the copilot reads (routes with
// `include=domain`, processes, apps, spaces, organizations, domains, route
// destinations, route policies, audit events) and plays the UAA that issues
// client-credentials tokens for it. It is good enough for the real
// go-cfclient, which is how tests and the local foundation use it.
//
// It is test and demo harness, not part of the pipeline: it stands where a
// real foundation's Cloud Controller stands, in front of
//
//	sources → routing table → mesh config → Envoy IR → xDS
//
// What it implements, and how faithfully:
//   - `GET /`: the API root, whose `links.uaa` and `links.login` point at the
//     stand-in itself.
//   - `POST /oauth/token`: the client_credentials grant, with the client id
//     and secret in HTTP basic auth (as golang.org/x/oauth2 sends them) or in
//     form fields. Tokens expire after Options.TokenLifetime on the stand-in's
//     clock; RevokeTokens invalidates them all at once.
//   - every `/v3/...` call needs `Authorization: bearer <valid token>`, or is
//     answered 401 with Cloud Controller's error JSON.
//   - `GET /v3/routes`, `/v3/processes`, `/v3/apps`, `/v3/spaces`,
//     `/v3/organizations`, `/v3/domains`, `/v3/audit_events`: paginated as
//     Cloud Controller paginates (`page` ≥ 1, `per_page` 1..5000, absolute
//     first/last/next/previous links), ordered by `order_by` (`created_at`
//     or `updated_at`, `-` for descending; ties in creation order). Filters:
//     `guids` everywhere, `created_ats`/`updated_ats` with
//     `[lt|lte|gt|gte]` (Cloud Controller's whole-second semantics), and per
//     list: routes `app_guids`, `space_guids`, `organization_guids`,
//     `domain_guids`, `hosts`, `paths`; processes `app_guids`, `types`,
//     `space_guids`; apps `names`, `space_guids`, `organization_guids`;
//     spaces `names`, `organization_guids`; organizations and domains
//     `names`; audit events `types`, `target_guids` (also `[not]`),
//     `space_guids`, `organization_guids`; route policies `route_guids`,
//     `space_guids` (the route's), `sources`, `source_guids`. Any other
//     parameter (including route policies' `include`) is refused with 400,
//     so a test that needs one notices.
//   - route policies (RFC-0055): `GET /v3/route_policies[/:guid]`,
//     `POST /v3/route_policies` and `DELETE /v3/route_policies/:guid` with
//     Cloud Controller's validation and messages (source format; not on an
//     internal domain, nor on one that does not enforce route policies;
//     unique per route; `cf:any` alone; no `cf:org:` on a domain of scope
//     `space`). Domains added with AddEnforcingDomain present
//     `enforce_route_policies` and `route_policies_scope`, which Cloud
//     Controller presents only when enforcing. Deleting a route deletes its
//     policies without policy events. AddUncheckedRoutePolicy stores what
//     the API would refuse, and Options.NoRoutePolicies plays a Cloud
//     Controller from before route policies.
//   - `GET|PATCH|POST /v3/routes/:guid/destinations` and
//     `DELETE /v3/routes/:guid/destinations/:guid` with Cloud Controller's
//     validation and messages (app_guid required, weights all-or-none,
//     integers 1..100 summing to 100, no weighted insert, no single weighted
//     delete).
//   - `GET /v3/apps/:guid`, `POST /v3/apps/:guid/actions/start|stop`.
//   - audit events, as Cloud Controller records them (whole-second
//     `created_at`, actor the stand-in's admin): `audit.route.create`,
//     `audit.route.update` (options, annotations; the route's `updated_at`
//     moves), `audit.route.delete-request` (after the deletion, no unmap
//     events, as v3 RouteDeleteAction), `audit.app.map-route` and
//     `audit.app.unmap-route` per destination added or removed (a weight
//     change removes and adds; the route's `updated_at` does not move),
//     `audit.app.create`, `audit.app.start`, `audit.app.stop`,
//     `audit.app.process.create`, `audit.space.create`,
//     `audit.organization.create`, `audit.route_policy.create` (data
//     `request.source` and `request.route_guid`) and
//     `audit.route_policy.delete` (empty data), both targeting the policy in
//     its route's space. Domains have no events, as in Cloud Controller.
//     SuppressEvents hides events, as a fault.
//
// Every app and route lives in a space (DefaultSpaceGUID in
// DefaultOrganizationGUID unless InSpace says otherwise); apps start
// STARTED unless WithState says otherwise. Listings counts full
// (unfiltered) listings per endpoint, so a test can tell a targeted read
// from a full sync.
//
// Fault injection (InjectFault) runs before any of this, so a test can make
// any request slow, fail, or answer with malformed JSON.
//
// Concurrency: all methods and ServeHTTP may be called from any goroutine;
// state is guarded by one mutex. Fault functions are called without it held,
// so they may call back into the CloudController.
package cloudcontroller
