package testbed_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

var _ = Describe("Load", func() {
	var (
		instance *backend.Backend
		conn     *grpc.ClientConn
	)

	BeforeEach(func() {
		var err error
		instance, err = backend.Start("app/0", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(instance.Stop)
		conn, err = grpc.NewClient("passthrough:///"+instance.Address(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(conn.Close)
	})

	It("counts calls by the instance that answered, and failed calls with the last error", func() {
		load := testbed.StartLoad(conn, time.Millisecond, time.Second)
		DeferCleanup(load.Stop)
		Eventually(func() int { return load.Counts().ByInstance["app/0"] }, 5*time.Second).Should(BeNumerically(">=", 10))
		Expect(load.Counts().Failures).To(BeZero())

		before := load.Counts()
		instance.SetFailing(true)
		Eventually(func() int { return load.Counts().Sub(before).Failures }, 5*time.Second).Should(BeNumerically(">=", 5))
		during := load.Counts().Sub(before)
		Expect(during.LastError).To(MatchError(ContainSubstring("app/0 is failing")))
		Expect(during.Calls).To(BeNumerically(">=", during.Failures))

		instance.SetFailing(false)
		final := load.Stop()
		Expect(load.Stop()).To(Equal(final), "stopping twice changes nothing")
		Expect(final.Calls).To(Equal(final.Failures + final.ByInstance["app/0"]))
	})

	It("subtracts an earlier snapshot", func() {
		earlier := testbed.Counts{Calls: 10, Failures: 2, ByInstance: map[string]int{"a/0": 5, "b/0": 3}}
		later := testbed.Counts{Calls: 15, Failures: 2, ByInstance: map[string]int{"a/0": 9, "b/0": 3, "c/0": 1}, LastError: errOld}
		Expect(later.Sub(earlier)).To(Equal(testbed.Counts{Calls: 5, ByInstance: map[string]int{"a/0": 4, "c/0": 1}}),
			"no failure since: the old error is not carried")
	})
})

var errOld = errorString("an error from before")

type errorString string

func (e errorString) Error() string { return string(e) }
