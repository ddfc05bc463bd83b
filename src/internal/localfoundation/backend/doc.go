// Package backend is a sample app instance for the local foundation and the
// end-to-end tests: one TCP port that answers gRPC (HTTP/2 without TLS, the
// standard health service) and plain HTTP, and says which instance answered.
//
// gRPC callers read the instance ID from the response header
// `x-cf-mesh-backend`; HTTP callers get it as the body and the same header.
//
// Concurrency: a Backend serves concurrently; Stop may be called once.
package backend
