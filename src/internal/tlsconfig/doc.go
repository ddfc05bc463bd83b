// Package tlsconfig builds the mutual-TLS configurations of cf-mesh's
// control-plane ports (copilot MCP, pilot xDS) from PEM files a BOSH job
// renders.
//
// Certificates are re-read when their files change, so a rotation reaches
// new connections without a restart (existing connections keep theirs).
// Servers require and verify client certificates; TLS 1.2 is the floor.
//
// Concurrency: the returned configurations are safe for concurrent
// handshakes.
package tlsconfig
