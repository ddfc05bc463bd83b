// Package xdsresources turns the Envoy IR into xDS resources: listeners,
// route configurations, clusters and cluster load assignments, for each
// class of proxy the pilot serves.
//
// It is the pilot's last pure stage
//
//	mesh config → Envoy IR → xDS resources → go-control-plane caches
//
// Naming follows Istio's pilot so operators trained on istioctl can read
// config dumps (design.md decision 5): gateway listeners `0.0.0.0_<port>`
// with route configuration `http.<port>`; clusters
// `outbound|<port>|<subset>|<host>`; proxyless gRPC client listeners named
// `<host>` and `<host>:<port>` with route configuration
// `outbound|<port>||<host>`.
//
// Every resource passes its proto's ValidateAll before it is returned; one
// that does not is a bug, reported and left out rather than sent.
//
// Proxy classes: ingress gateways (node type `router`) get the gateway
// listeners; mesh clients (proxyless gRPC, node metadata GENERATOR=grpc)
// get one API listener per host. Both share route configurations, clusters
// and load assignments, whose names do not overlap. Container sidecars
// (node type `sidecar`) get the clusters and load assignments of the hosts
// in their scope, and their own listeners and route configurations per
// node (Resources.Sidecar).
//
// Per-instance hosts (`<index>.<host>`, which service discovery registers
// for every instance of an internal route) have no cluster of their own for
// sidecars when it is safe (ADR 19): the parent's endpoints carry their
// index, every sidecar cluster balances by subset (no match: any endpoint;
// an index no endpoint has: 503), and one wildcard virtual host
// `*.<host>` per parent and port names the parent's cluster, its route
// putting the authority's index into the request's `envoy.lb` metadata
// (header-to-metadata). A per-instance host that routes unlike its
// siblings keeps a virtual host of its own, matching the index. An
// instance coming or going then changes the parent's load assignment only,
// never the sidecar clusters or outbound route configurations, which State
// of the World sends in full. Gateways and proxyless gRPC clients (no
// subset load balancer in grpc-go) keep the per-instance clusters.
//
// Concurrency: Translate and ClassOf hold no state. A Translator remembers
// its previous call (an unchanged resource is the same message again) and is
// not safe for concurrent use; the pilot's translation loop owns one. The
// ServedEndpoints it hands out is immutable: the pilot's endpoints-first
// loop builds load assignments from it (a started instance's index label
// with them) while the next Translate runs.
package xdsresources
