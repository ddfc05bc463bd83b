package local_test

import (
	"context"
	"fmt"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/meshapp"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/pki"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/policyserver"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

// meshCalls is how many calls each caller makes once policies settled.
const meshCalls = 50

var _ = Describe("App-to-app mutual TLS under policy", Ordered, func() {
	var (
		cell                    *testbed.MeshPilot
		orders, front, stranger *testbed.App
		server                  *testbed.MeshServer
		firstPolicy             time.Time
		route                   testbed.Route
		frontConn, strangerConn *grpc.ClientConn
	)

	// policy is `cf add-network-policy <caller> orders --port <port>`.
	policy := func(caller *testbed.App) policyserver.Policy {
		return policyserver.Policy{SourceAppGUID: caller.GUID, DestinationAppGUID: orders.GUID, StartPort: server.Port}
	}
	// meshDial is a proxyless gRPC app instance of caller dialing orders'
	// internal route through the cell's pilot, with its instance identity.
	meshDial := func(caller *testbed.App) *grpc.ClientConn {
		id, err := foundation.MeshIdentity(caller, instanceGUID())
		Expect(err).NotTo(HaveOccurred())
		conn, err := meshapp.Dial(cell.ContainersAddress, id, route.Host)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(conn.Close)
		return conn
	}
	call := func(ctx context.Context, conn *grpc.ClientConn) error {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		id, err := backend.Call(ctx, conn)
		if err == nil && id != orders.Name+"/0" {
			return fmt.Errorf("answered by %q", id)
		}
		return err
	}
	// calls makes meshCalls calls and counts those allowed and denied.
	calls := func(ctx context.Context, conn *grpc.ClientConn) (allowed, denied int) {
		for range meshCalls {
			switch err := call(ctx, conn); {
			case err == nil:
				allowed++
			case codeOf(err) == codes.PermissionDenied:
				denied++
			}
		}
		return allowed, denied
	}

	BeforeAll(func(ctx SpecContext) {
		var err error
		By("starting a cell's pilot with mesh mutual TLS (enable-app-mtls)")
		cell, err = foundation.StartMeshPilot(ctx)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(cell.Stop)
		orders, front, stranger = push("orders", 0), push("front", 0), push("stranger", 0)
		route = foundation.CreateRoute(unique("orders"), "", true)
		By("serving orders on its internal route as a proxyless gRPC server with its instance identity")
		server, err = foundation.ServeMesh(ctx, cell, route, orders, instanceGUID())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(server.Stop)
		firstPolicy = time.Now()
		foundation.PolicyServer().AddPolicy(policy(front))
		frontConn, strangerConn = meshDial(front), meshDial(stranger)
	}, NodeTimeout(2*time.Minute))

	It("admits the caller a network policy names and denies a caller without one", func(ctx SpecContext) {
		// Until a policy names orders, every mesh member may call it.
		Eventually(ctx, func() codes.Code { return codeOf(call(ctx, strangerConn)) }).
			WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(Equal(codes.PermissionDenied), "stranger, no policy")
		report.Measure("first policy to orders to stranger denied", "%s", seconds(time.Since(firstPolicy)))
		Expect(call(ctx, frontConn)).To(Succeed(), "front, allowed by policy")

		allowed, _ := calls(ctx, frontConn)
		_, denied := calls(ctx, strangerConn)
		report.Measure("front (policy) calls allowed", "%d of %d", allowed, meshCalls)
		report.Measure("stranger (no policy) calls denied", "%d of %d", denied, meshCalls)
		Expect(allowed).To(Equal(meshCalls))
		Expect(denied).To(Equal(meshCalls))
	}, SpecTimeout(time.Minute))

	It("refuses, in mutual TLS, a caller naming an allowed app in a certificate the instance identity CA did not sign", func(ctx SpecContext) {
		trusted, err := foundation.MeshIdentity(front, instanceGUID())
		Expect(err).NotTo(HaveOccurred())
		caPEM, err := os.ReadFile(trusted.CAFile)
		Expect(err).NotTo(HaveOccurred())
		impostorCA, err := pki.NewCA("impostor CA")
		Expect(err).NotTo(HaveOccurred())
		guid := instanceGUID()
		cert, key, err := impostorCA.IssueInstanceIdentity(pki.InstanceIdentity{InstanceGUID: guid, AppGUID: front.GUID})
		Expect(err).NotTo(HaveOccurred())
		impostor, err := meshapp.WriteIdentity(GinkgoT().TempDir(), testbed.MeshContainerIP, guid, cert, key, caPEM)
		Expect(err).NotTo(HaveOccurred())
		conn, err := meshapp.Dial(cell.ContainersAddress, impostor, route.Host)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(conn.Close)

		Expect(call(ctx, frontConn)).To(Succeed(), "front's own instances still call")
		refused := 0
		var last error
		for range 10 {
			if last = call(ctx, conn); codeOf(last) == codes.Unavailable {
				refused++
			}
		}
		// The impostor differs from front's instances only in its CA; what
		// grpc-go reports depends on when the server aborts (TLS 1.3 lets
		// the client finish first): a failed handshake or a broken pipe.
		report.Measure("impostor calls refused in the handshake", "%d of 10 (last: %v)", refused, last)
		Expect(refused).To(Equal(10))
	}, SpecTimeout(time.Minute))

	It("follows a policy added and one removed at the policy server, restarting nothing", func(ctx SpecContext) {
		pids := map[string]int{}
		for _, p := range []*testbed.Process{foundation.Copilot(), foundation.Pilot(), cell.Process} {
			pids[p.Name()] = p.PID()
		}

		added := time.Now()
		foundation.PolicyServer().AddPolicy(policy(stranger))
		Eventually(ctx, func() error { return call(ctx, strangerConn) }).
			WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(Succeed(), "stranger, now allowed")
		report.Measure("policy added to first allowed call", "%s", seconds(time.Since(added)))

		removed := time.Now()
		foundation.PolicyServer().RemovePolicy(policy(front))
		Eventually(ctx, func() codes.Code { return codeOf(call(ctx, frontConn)) }).
			WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(Equal(codes.PermissionDenied), "front, policy removed")
		report.Measure("policy removed to first denied call", "%s", seconds(time.Since(removed)))

		allowed, _ := calls(ctx, strangerConn)
		_, denied := calls(ctx, frontConn)
		report.Measure("stranger (policy added) calls allowed", "%d of %d", allowed, meshCalls)
		report.Measure("front (policy removed) calls denied", "%d of %d", denied, meshCalls)
		Expect(allowed).To(Equal(meshCalls))
		Expect(denied).To(Equal(meshCalls))
		for _, p := range []*testbed.Process{foundation.Copilot(), foundation.Pilot(), cell.Process} {
			Expect(p.PID()).To(Equal(pids[p.Name()]), "%s was not restarted", p.Name())
		}
	}, SpecTimeout(time.Minute))
})

// instanceGUID is a fresh instance GUID, shaped like Diego's.
func instanceGUID() string {
	n := names.Add(1)
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n)
}
