package policyserver_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestPolicyServer(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Policy Server Stand-in Suite")
}
