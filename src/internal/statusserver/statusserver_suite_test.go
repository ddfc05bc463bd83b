package statusserver_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestStatusServer(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Status Server Suite")
}
