// Package xdsserver is the pilot's xDS runner: it holds the go-control-plane
// caches, applies each new set of resources to them, and serves ADS over
// gRPC to ingress gateways and proxyless gRPC clients.
//
// Caches (design.md decision 7): one fleetCache per resource type shared by
// the fleet (route configurations, clusters, load assignments), and one
// listener fleetCache per proxy class; a MuxCache picks the cache from the
// request's type and the proxy's class. A fleetCache answers named
// subscriptions (gRPC asks for listeners and clusters by name) and
// wildcard ones (Envoy's LDS and CDS) exactly as go-control-plane's
// LinearCache does (a spec drives both with the same random changes and
// proxies), at a cost that follows the change, not the subscriptions
// (ADR 17). Only changed resources get new versions, so an endpoint change
// touches only EDS. A container sidecar's listeners and route
// configurations (its inbound ones, and the outbound ones every sidecar
// shares) are in fleetCaches of its own, which encode a message they share
// with other sidecars once for all (sharedEncodings).
//
// Update applies a change make-before-break: additions and changes go out
// endpoints first, then clusters, routes and listeners; removals go out in
// the reverse order, so no proxy is told to use something it has not been
// sent yet.
//
// The server answers nothing before the first Update: a pilot that has not
// synced with a copilot never pushes an empty world (design.md decision 9).
//
// Endpoints first (ADR 20): UpdateEndpoints serves new content for load
// assignments already served, from a config newer than the last full
// update, and UpdateGeneration keeps it through a full update of an older
// config. UnansweredEndpointsFirst counts the responses of those updates
// that no proxy has answered yet, for the pilot's translation to give way
// to (ADR 20, third amendment).
//
// Concurrency: Update and UpdateGeneration serialize; UpdateEndpoints may
// run beside them (the endpoint caches have a lock of their own, which an
// Update holds only while it changes them); Serve runs the gRPC server; the
// caches are safe for concurrent use. A proxy's returned-resources map of
// a type is written only by its stream's goroutine (a response is applied
// to it as the stream sends it) and read by the cache under a lock of its
// own; UnansweredEndpointsFirst reads atomics and may be called anywhere.
package xdsserver
