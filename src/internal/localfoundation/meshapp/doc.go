// Package meshapp runs proxyless gRPC apps of the mesh the way an app
// instance would with its instance identity: a server whose listener,
// mutual TLS and authorization come from the pilot over xDS (grpc-go's xDS
// server), and clients that reach `xds:///<internal route>` in mutual TLS,
// verifying the route's name in the callee's certificate. Both read their
// identity through grpc-go's file_watcher certificate provider.
//
// It is the end-to-end tests' stand-in for a container's Envoy on the
// app-to-app path: grpc-go is the independent xDS consumer that enforces
// what the pilot sends.
//
// Concurrency: a Server runs until Stop; clients are safe for concurrent
// use.
package meshapp
