package mcpserver_test

import (
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/mcp/internal/mcptest"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver/mcpservertest"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

var _ = Describe("Server under a client that stops reading", func() {
	It("keeps publishing and serving the others while one stream is stuck", func() {
		server := mcpserver.New(lagertest.NewTestLogger("test"), prometheus.NewRegistry())
		grpcSrv, err := mcpservertest.Serve("127.0.0.1:0", server.Register)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(grpcSrv.Stop)

		// A foundation big enough that its ServiceEntries overflow gRPC's
		// flow-control window when nobody reads them.
		world := mcptest.Foundation(200, 50)
		server.Publish(world)

		stuck := mustDialADS(grpcSrv.Addr)
		DeferCleanup(stuck.close)
		stuck.subscribe(seV1) // and never reads a response

		healthy := mustDialADS(grpcSrv.Addr)
		DeferCleanup(healthy.close)
		healthy.subscribe(seV1)
		first := healthy.recv()
		Expect(first.VersionInfo).To(Equal(world.CollectionVersion(mesh.KindServiceEntry)))
		healthy.ack(first)

		for i := 1; i <= 5; i++ {
			changed := mcptest.WithReplaced(world, mcptest.FoundationServiceEntry(0, 50, i))
			published := make(chan struct{})
			go func() {
				defer GinkgoRecover()
				server.Publish(changed)
				close(published)
			}()
			Eventually(published, 5*time.Second).Should(BeClosed(), "Publish never waits for a client")
			resp := healthy.recv()
			Expect(resp.VersionInfo).To(Equal(changed.CollectionVersion(mesh.KindServiceEntry)))
			healthy.ack(resp)
		}
	})
})
