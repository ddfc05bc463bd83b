package debounce_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestDebounce(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Debounce Suite")
}
