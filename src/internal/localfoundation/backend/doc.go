// Package backend is a sample app instance for the local foundation and the
// end-to-end tests: one TCP port that answers gRPC (the standard health
// service, served by a native gRPC server to connections that open with the
// HTTP/2 preface) and plain HTTP/1.1 (everything else), and says which
// instance answered. SetFailing turns it into a broken instance.
//
// gRPC callers read the instance ID from the response header
// `x-cf-mesh-backend`; HTTP callers get it as the body and the same header.
//
// Concurrency: a Backend serves concurrently; Stop may be called more than
// once.
package backend
