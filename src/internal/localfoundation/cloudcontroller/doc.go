// Package cloudcontroller is a Cloud Controller v3 stand-in: an http.Handler
// that serves the documented v3 JSON for what the copilot reads (routes with
// `include=domain`, processes, domains, route destinations) and plays the UAA
// that issues client-credentials tokens for it. It is good enough for the
// real go-cfclient, which is how tests and the local foundation use it.
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
//   - `GET /v3/routes`, `/v3/processes`, `/v3/domains`: paginated as Cloud
//     Controller paginates (`page` ≥ 1, `per_page` 1..5000, absolute
//     first/last/next/previous links), in creation order. Filters are not
//     implemented and are refused with 400, so a test that needs one notices.
//   - `GET|PATCH|POST /v3/routes/:guid/destinations` with Cloud Controller's
//     validation and messages (app_guid required, weights all-or-none,
//     integers 1..100 summing to 100, no weighted insert).
//
// Fault injection (InjectFault) runs before any of this, so a test can make
// any request slow, fail, or answer with malformed JSON.
//
// Concurrency: all methods and ServeHTTP may be called from any goroutine;
// state is guarded by one mutex. Fault functions are called without it held,
// so they may call back into the CloudController.
package cloudcontroller
