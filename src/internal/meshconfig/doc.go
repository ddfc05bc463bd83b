// Package meshconfig compiles the routing table into mesh configuration:
// Istio Gateway, VirtualService, DestinationRule and ServiceEntry objects.
//
// It is the copilot's third stage
//
//	sources → routing table → mesh config → Envoy IR → xDS
//
// and Compile is a pure function: equal tables give byte-identical objects
// with equal content versions, and a change to one host's routes changes
// only that host's objects.
//
// Mapping (historical copilot names kept where they fit):
//   - Gateway `cloudfoundry-ingress`: HTTP on the gateway port, hosts `*`.
//   - per host, VirtualService `copilot-service-for-<host>`: one HTTP route
//     per context path, longest first; a path matches itself and what lies
//     below it (`/v1` and `/v1/...`, never `/v10`), as gorouter does; each
//     route splits traffic over its destinations by weight.
//   - per host, DestinationRule `copilot-rule-for-<host>`: one subset per
//     destination, selecting endpoints labelled `cfapp: <destination key>`.
//   - per host, ServiceEntry `copilot-service-entry-for-<host>`: the live
//     endpoints, labelled with their destination key.
//
// Wildcard hosts (`*.example.com`) use the prefix `copilot-wildcard-...-for-`
// so their names never collide with a literal host's.
//
// Compiler.HostObjects gives a few hosts' objects, host by host, as
// Compile builds them: the copilot's endpoints-first publish (ADR 20).
//
// Concurrency: Compile holds no state. A Compiler remembers its previous
// call (unchanged hosts keep their objects) and is not safe for concurrent
// use; the copilot's builder owns one.
package meshconfig
