package pilot_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestPilot(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Pilot Suite")
}
