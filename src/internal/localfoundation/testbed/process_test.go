package testbed_test

import (
	"context"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/loopback"
)

var _ = Describe("Process", func() {
	var (
		dir, status string
		process     *testbed.Process
	)

	newFake := func(mode string) *testbed.Process {
		GinkgoT().Setenv("TESTBED_FAKE_PROCESS", mode)
		config := filepath.Join(dir, "fake.json")
		Expect(os.WriteFile(config, []byte(status), 0o600)).To(Succeed())
		return testbed.NewProcess("fake", os.Args[0], config, status, filepath.Join(dir, "fake.log"), 10*time.Second)
	}

	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		status = loopback.FreeAddress()
		process = newFake("serve")
		DeferCleanup(func() { Expect(process.Stop()).To(Succeed()) })
	})

	It("starts, waits until /readyz answers, stops with SIGTERM, and starts again with the same configuration", func(ctx SpecContext) {
		Expect(process.Start(ctx)).To(Succeed())
		Expect(process.Running()).To(BeTrue())
		first := process.PID()
		Expect(first).NotTo(BeZero())
		Expect(process.Start(ctx)).To(MatchError(ContainSubstring("already running")))
		Expect(process.Stop()).To(Succeed())
		Expect(process.Running()).To(BeFalse())
		Expect(process.PID()).To(BeZero())
		Expect(process.Start(ctx)).To(Succeed())
		Expect(process.Running()).To(BeTrue())
		Expect(process.PID()).NotTo(Equal(first), "a restart is a new process")
		log, err := os.ReadFile(process.LogPath())
		Expect(err).NotTo(HaveOccurred())
		Expect(string(log)).To(ContainSubstring("fake process: stopped by SIGTERM"), "one log across restarts")
	}, SpecTimeout(30*time.Second))

	It("is killed with SIGKILL", func(ctx SpecContext) {
		Expect(process.Start(ctx)).To(Succeed())
		Expect(process.Kill()).To(Succeed())
		Expect(process.Running()).To(BeFalse())
		Expect(process.Stop()).To(Succeed(), "stopping a stopped process does nothing")
	}, SpecTimeout(30*time.Second))

	It("reads metrics and debug endpoints from the status server", func(ctx SpecContext) {
		Expect(process.Start(ctx)).To(Succeed())
		Expect(process.Metric(ctx, "fake_total")).To(BeEquivalentTo(4))
		Expect(process.Metric(ctx, "fake_total", `result="failure"`)).To(BeEquivalentTo(1))
		_, err := process.Metric(ctx, "missing_total")
		Expect(err).To(MatchError(ContainSubstring("no sample of metric missing_total")))
		body, err := process.Debug(ctx, "/readyz")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(body)).To(ContainSubstring("ready"))
		_, err = process.Debug(ctx, "/nothing")
		Expect(err).To(MatchError(ContainSubstring("404")))
	}, SpecTimeout(30*time.Second))

	It("says where to look when the process exits before it is ready", func(ctx SpecContext) {
		process = newFake("exit")
		err := process.Start(ctx)
		Expect(err).To(MatchError(ContainSubstring("exited before it was ready")))
		Expect(err).To(MatchError(ContainSubstring(process.LogPath())))
	}, SpecTimeout(30*time.Second))

	It("gives up waiting at the ready timeout or when the context ends", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		GinkgoT().Setenv("TESTBED_FAKE_PROCESS", "serve")
		config := filepath.Join(dir, "wrong.json")
		Expect(os.WriteFile(config, []byte(loopback.FreeAddress()), 0o600)).To(Succeed())
		process = testbed.NewProcess("fake", os.Args[0], config, status, filepath.Join(dir, "fake.log"), 10*time.Second)
		Expect(process.Start(ctx)).To(MatchError(ContainSubstring("not ready after")))
	})
})
