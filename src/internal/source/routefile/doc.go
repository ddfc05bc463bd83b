// Package routefile reads a YAML route file into source.DesiredRoutes: the
// local foundation's stand-in for Cloud Controller (scripts/run), and a way
// to serve fixed routes without one.
//
// It is a pure core of the first pipeline stage
//
//	sources → routing table → mesh config → Envoy IR → xDS
//
// and its runner, filewatcher, polls the file and publishes what Parse
// returns. The format:
//
//	routes:
//	- host: app.apps.internal.example   # fully qualified host (required)
//	  path: /v1                         # optional context path
//	  internal: false                   # optional
//	  loadbalancing: round-robin        # optional: round-robin | least-connection | hash
//	  annotations: {}                   # optional
//	  destinations:
//	  - app_guid: 5d9a...               # required
//	    process_guid: 7c1e...           # optional
//	    process_type: web               # default web
//	    port: 8080                      # default 8080
//	    protocol: http1                 # default http1 (or http2)
//	    weight: 80                      # optional: all-or-none, 1..100, sum 100
//
// Parse is strict. Unlike Cloud Controller translation, which drops a bad
// route and keeps the rest, a route file with any problem is rejected as a
// whole: an operator edits it by hand and should fix it, and the runner keeps
// serving the previous good file meanwhile. Every problem is reported with
// the route's index and host, e.g.
// `routes[1] (app.example.com): weights sum to 90, must sum to 100`.
//
// Concurrency: Parse holds no state; its result shares no memory with its
// input.
package routefile
