// Package envoyir translates mesh configuration (Istio objects) into the
// pilot's intermediate representation: listeners, virtual hosts, weighted
// routes, clusters and their endpoints, in data-plane terms and free of
// protobuf.
//
// It is the pilot's first translation stage
//
//	mesh config → Envoy IR → xDS resources
//
// and reads only Istio objects, never Cloud Foundry's: anything a real
// istiod could be fed, this stage can read (design.md decision 1).
//
// Translate is pure: equal Configs give equal IRs, sorted by name. Problems
// in the config (a route to a host no ServiceEntry knows, a subset no
// DestinationRule defines) are reported and translated the way Istio does
// (an empty cluster answers 503), never dropped silently.
//
// EndpointIndex.Changes is the endpoints-first part of a translation (ADR
// 20): the load assignments a changed ServiceEntry gives the clusters the
// indexed translation built, the endpoints of hosts a new ServiceEntry
// brings, and whether nothing but endpoints changed (then the full
// translation would change only load assignments and workload identities).
//
// Concurrency: Translate holds no state; an IR is immutable once built, and
// so is an EndpointIndex, which may be read while its Translator
// translates the next config.
package envoyir
