package xdsserver_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestXDSServer(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "xDS Server Suite")
}
