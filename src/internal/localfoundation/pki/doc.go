// Package pki issues throwaway certificates for the local foundation and
// the tests: a CA, and leaf certificates for control-plane servers and
// clients. Nothing here is meant for a real foundation, where BOSH's
// credential store (CredHub) issues certificates.
//
// Concurrency: a CA may issue from several goroutines.
package pki
