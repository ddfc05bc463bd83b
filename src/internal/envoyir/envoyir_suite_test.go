package envoyir_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestEnvoyIR(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Envoy IR Suite")
}
