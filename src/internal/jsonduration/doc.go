// Package jsonduration is a time.Duration that configuration files (JSON a
// BOSH template renders) write as a Go duration string, e.g. "20s".
//
// Concurrency: values are plain data.
package jsonduration
