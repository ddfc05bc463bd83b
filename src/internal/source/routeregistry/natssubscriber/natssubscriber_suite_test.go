package natssubscriber_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestNATSSubscriber(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "NATSSubscriber Suite")
}
