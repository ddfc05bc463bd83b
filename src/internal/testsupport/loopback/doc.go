// Package loopback gives Ginkgo specs what they need on 127.0.0.1: free
// ports, an embedded NATS server, and components run for the length of a
// spec. Everything it starts is stopped by DeferCleanup.
//
// Test support only: no pipeline package imports it outside tests.
package loopback
