// Package source holds the typed values the copilot's sources produce: the
// routes Cloud Controller (or a local route file) desires, and the live
// endpoints NATS route registrations report.
//
// It is the first stage of the pipeline
//
//	sources → routing table → mesh config → Envoy IR → xDS
//
// and contains types only. Producers live in its subpackages
// (cloudcontroller, routefile, routeregistry) and their runners.
//
// Concurrency: values of these types are immutable once published; a
// producer builds a new value instead of changing one it has handed out.
package source
