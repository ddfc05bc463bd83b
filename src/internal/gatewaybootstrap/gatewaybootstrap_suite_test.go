package gatewaybootstrap_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestGatewayBootstrap(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Gateway Bootstrap Suite")
}
