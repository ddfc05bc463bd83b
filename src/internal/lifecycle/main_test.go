package lifecycle_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"code.cloudfoundry.org/lager/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
)

// processFunc adapts a function to lifecycle.Process.
type processFunc func(context.Context) error

func (f processFunc) Run(ctx context.Context) error { return f(ctx) }

var _ = Describe("Main", func() {
	var configPath string

	BeforeEach(func() {
		configPath = filepath.Join(GinkgoT().TempDir(), "sample.json")
		Expect(os.WriteFile(configPath, []byte(`{"port": 9000, "log_level": "error"}`), 0o600)).To(Succeed())
	})

	main := func(args []string, run func(context.Context) error, buildErr error) (int, sampleConfig) {
		var got sampleConfig
		code := lifecycle.Main("sample", args, func(cfg sampleConfig, _ lager.Logger, reg *prometheus.Registry) (lifecycle.Process, error) {
			got = cfg
			Expect(reg).NotTo(BeNil())
			return processFunc(run), buildErr
		})
		return code, got
	}

	It("runs the process with the parsed, defaulted configuration and exits 0 when it stops cleanly", func() {
		code, cfg := main([]string{"-config", configPath}, func(context.Context) error { return nil }, nil)
		Expect(code).To(Equal(0))
		Expect(cfg).To(Equal(sampleConfig{Port: 9000, LogLevel: "error"}))
	})

	It("exits 1 when the process fails", func() {
		code, _ := main([]string{"-config", configPath}, func(context.Context) error { return errors.New("lost NATS") }, nil)
		Expect(code).To(Equal(1))
	})

	DescribeTable("exits 2 on bad usage or configuration, before running anything",
		func(args func() []string, content string, buildErr error) {
			if content != "" {
				Expect(os.WriteFile(configPath, []byte(content), 0o600)).To(Succeed())
			}
			ran := false
			code, _ := main(args(), func(context.Context) error { ran = true; return nil }, buildErr)
			Expect(code).To(Equal(2))
			Expect(ran).To(BeFalse())
		},
		Entry("no -config", func() []string { return nil }, "", nil),
		Entry("an unknown flag", func() []string { return []string{"-verbose"} }, "", nil),
		Entry("a missing file", func() []string { return []string{"-config", "/nonexistent.json"} }, "", nil),
		Entry("an invalid file", func() []string { return []string{"-config", configPath} }, `{"port": 99999}`, nil),
		Entry("a bad log level", func() []string { return []string{"-config", configPath} }, `{"log_level": "chatty"}`, nil),
		Entry("a process that cannot be built", func() []string { return []string{"-config", configPath} }, "", errors.New("no route source")),
	)
})
