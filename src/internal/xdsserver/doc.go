// Package xdsserver is the pilot's xDS runner: it holds the go-control-plane
// caches, applies each new set of resources to them, and serves ADS over
// gRPC to ingress gateways and proxyless gRPC clients.
//
// Caches (design.md decision 7): one LinearCache per resource type shared by
// the fleet (route configurations, clusters, load assignments), and one
// listener LinearCache per proxy class; a MuxCache picks the cache from the
// request's type and the proxy's class. LinearCaches answer named
// subscriptions (gRPC asks for listeners and clusters by name) and wildcard
// ones (Envoy's LDS and CDS) alike, and only changed resources get new
// versions, so an endpoint change touches only EDS.
//
// Update applies a change make-before-break: additions and changes go out
// endpoints first, then clusters, routes and listeners; removals go out in
// the reverse order, so no proxy is told to use something it has not been
// sent yet.
//
// The server answers nothing before the first Update: a pilot that has not
// synced with a copilot never pushes an empty world (design.md decision 9).
//
// Concurrency: Update may be called from one goroutine at a time (the
// pilot's translation loop); Serve runs the gRPC server; the caches are safe
// for concurrent use.
package xdsserver
