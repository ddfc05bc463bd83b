package main

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestMeshapp(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Meshapp Suite")
}
