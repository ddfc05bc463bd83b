// Package e2e_test runs the whole pipeline as production runs it, in one
// process on 127.0.0.1: a Cloud Controller (stand-in, read by the real
// go-cfclient) and NATS (embedded nats-server, fed like route-emitter) →
// copilot → MCP over mutual TLS → pilot → xDS → grpc-go's xDS client
// sending real calls to real backends.
package e2e_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestEndToEnd(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "End-to-End Suite")
}
