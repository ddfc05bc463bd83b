package ccpoller_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestCCPoller(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "CCPoller Suite")
}
