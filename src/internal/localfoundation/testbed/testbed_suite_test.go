package testbed_test

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestMain(m *testing.M) {
	// The suite runs its own binary as a stand-in copilot (see
	// fakeprocess_test.go) when this variable says so.
	if os.Getenv(fakeProcessEnv) != "" {
		os.Exit(runFakeProcess(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func TestTestbed(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Testbed Suite")
}
