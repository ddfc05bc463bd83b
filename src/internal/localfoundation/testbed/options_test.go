package testbed_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

var _ = Describe("Options", func() {
	valid := func() testbed.Options {
		return testbed.Options{WorkDir: "/tmp/work", BinDir: "/tmp/bin"}.WithDefaults()
	}

	It("defaults every zero field", func() {
		o := valid()
		Expect(o.AppsDomain).To(Equal(testbed.DefaultAppsDomain))
		Expect(o.InternalDomain).To(Equal(testbed.DefaultInternalDomain))
		Expect(o.RegisterInterval).To(Equal(testbed.DefaultRegisterInterval))
		Expect(o.PruneThreshold).To(Equal(testbed.DefaultPruneThreshold))
		Expect(o.CCEventPoll).To(Equal(testbed.DefaultCCEventPoll))
		Expect(o.CCFullSync).To(Equal(testbed.DefaultCCFullSync))
		Expect(o.CCRequestTimeout).To(Equal(testbed.DefaultCCRequestTimeout))
		Expect(o.ReadyTimeout).To(Equal(testbed.DefaultReadyTimeout))
		Expect(o.ContainerPort).To(BeEquivalentTo(testbed.DefaultContainerPort))
		Expect(o.Logger).NotTo(BeNil())
		Expect(o.Validate()).To(Succeed())
	})

	DescribeTable("names what is wrong",
		func(change func(*testbed.Options), problem string) {
			o := valid()
			change(&o)
			Expect(o.Validate()).To(MatchError(ContainSubstring(problem)))
		},
		Entry("no work directory", func(o *testbed.Options) { o.WorkDir = "" }, "work directory: required"),
		Entry("no binaries", func(o *testbed.Options) { o.BinDir = "" }, "binary directory: required"),
		Entry("one domain for both", func(o *testbed.Options) { o.InternalDomain = o.AppsDomain }, `both "apps.local"`),
		Entry("a negative duration", func(o *testbed.Options) { o.CCEventPoll = -time.Second }, "cc event poll -1s: must not be negative"),
		Entry("pruning before re-emits", func(o *testbed.Options) { o.PruneThreshold = o.RegisterInterval }, "must exceed the register interval"),
		Entry("not a port", func(o *testbed.Options) { o.ContainerPort = 70000 }, "container port 70000"),
	)

	It("refuses to start without what it needs", func(ctx SpecContext) {
		_, err := testbed.Start(ctx, testbed.Options{})
		Expect(err).To(MatchError(ContainSubstring("work directory: required")))
	})
})

var _ = Describe("Container IPs", func() {
	It("are loopback addresses, none a network or broadcast address", func() {
		ips := testbed.ContainerIPs(65536+253, 5)
		Expect(ips).To(Equal([]string{"127.1.0.253", "127.1.0.254", "127.1.1.1", "127.1.1.2", "127.1.1.3"}))
	})
})

var _ = Describe("Build", func() {
	It("refuses a directory that is not the cf-mesh module", func(ctx SpecContext) {
		Expect(testbed.Build(ctx, GinkgoT().TempDir(), GinkgoT().TempDir())).To(MatchError(ContainSubstring("is not the cf-mesh module")))
	})
})
