// Package proxyless dials cf-mesh routes the way a proxyless gRPC app does:
// grpc-go's own xDS client resolves `xds:///<route host>` against the pilot,
// follows listener → route configuration → clusters → endpoints, and
// balances calls by the weights it received. It is the independent xDS
// consumer the end-to-end tests and the local foundation use in place of
// Envoy.
//
// Concurrency: a Client is safe for concurrent use.
package proxyless
