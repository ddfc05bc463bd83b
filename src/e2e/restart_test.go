package e2e_test

import (
	"context"
	"sync"
	"time"

	cfclient "github.com/cloudfoundry/go-cfclient/v3/client"
	cfconfig "github.com/cloudfoundry/go-cfclient/v3/config"
	"github.com/cloudfoundry/go-cfclient/v3/resource"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
	ccstandin "code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/proxyless"
)

// load keeps calling through a proxyless client and counts the outcome.
type load struct {
	mu       sync.Mutex
	calls    int
	failures int
	lastErr  error
	byID     map[string]int
	stop     context.CancelFunc
	done     chan struct{}
}

func startLoad(conn grpc.ClientConnInterface) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{byID: map[string]int{}, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for ctx.Err() == nil {
			callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
			id, err := backend.Call(callCtx, conn)
			cancel()
			if ctx.Err() != nil {
				return
			}
			l.record(id, err)
			time.Sleep(2 * time.Millisecond)
		}
	}()
	DeferCleanup(func() { l.stop(); <-l.done })
	return l
}

func (l *load) record(id string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	l.byID[id]++
	if err != nil {
		l.failures++
		l.lastErr = err
	}
}

// since returns the calls and failures counted after a snapshot.
func (l *load) snapshot() (calls, failures int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls, l.failures
}

var _ = Describe("Restarting the control plane under load", Ordered, func() {
	var (
		foundation *shop
		traffic    *load
	)

	// expectNoFailedCallsDuring runs a disruption under load and checks
	// calls kept succeeding throughout.
	expectNoFailedCallsDuring := func(disrupt func()) {
		callsBefore, failuresBefore := traffic.snapshot()
		disrupt()
		callsAfter, failuresAfter := traffic.snapshot()
		GinkgoWriter.Printf("calls during the disruption: %d, failed: %d\n", callsAfter-callsBefore, failuresAfter-failuresBefore)
		Expect(failuresAfter-failuresBefore).To(BeZero(), "last error: %v", traffic.lastErr)
		Expect(callsAfter-callsBefore).To(BeNumerically(">", 100), "traffic flowed throughout")
	}

	BeforeAll(func() {
		foundation = startShop(planeSettings{})
		conn, err := proxyless.Dial(foundation.plane.xdsAddress, "restart-client", shopHost)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(conn.Close)
		ctx := bounded()
		Eventually(func() error { _, err := backend.Call(ctx, conn); return err }, 30*time.Second).Should(Succeed())
		traffic = startLoad(conn)
	})

	It("drops no call while the copilot restarts, and the pilot keeps serving all it served", func() {
		servedBefore := len(fetchEverything(bounded(), foundation.plane.xdsAddress, meshProbeNode()))
		expectNoFailedCallsDuring(func() {
			foundation.plane.stopCopilot()
			time.Sleep(time.Second) // the pilot is alone: it serves its last configuration
			foundation.plane.runCopilot()
			Eventually(func() float64 { return metricValue(foundation.plane.pilotRegistry, "cfmesh_pilot_mcp_connected") },
				30*time.Second, 100*time.Millisecond).Should(BeEquivalentTo(1), "the pilot follows the new copilot")
			time.Sleep(2 * time.Second) // past the new copilot's first publish
		})
		Expect(fetchEverything(bounded(), foundation.plane.xdsAddress, meshProbeNode())).To(HaveLen(servedBefore))
	})

	It("drops no call while the pilot restarts: clients keep their last configuration and resync", func() {
		expectNoFailedCallsDuring(func() {
			foundation.plane.stopPilot()
			time.Sleep(time.Second) // no pilot at all: clients route on what they have
			foundation.plane.runPilot()
			Eventually(foundation.plane.pilot.Ready(), 30*time.Second).Should(BeClosed())
			Eventually(func() float64 {
				return metricValue(foundation.plane.pilotRegistry, "cfmesh_pilot_xds_connected_proxies")
			},
				60*time.Second, 100*time.Millisecond).Should(BeNumerically(">=", 1), "the client reconnects to the new pilot")
		})
	})

	It("still follows Cloud Controller after both restarts: a weight change flips the split", func() {
		cfg, err := cfconfig.New(foundation.ccURL, cfconfig.ClientCredentials(ccstandin.DefaultClientID, ccstandin.DefaultClientSecret))
		Expect(err).NotTo(HaveOccurred())
		client, err := cfclient.New(cfg)
		Expect(err).NotTo(HaveOccurred())
		_, err = client.Routes.ReplaceDestinations(bounded(), foundation.routeGUID, []*resource.RouteDestinationInsertOrReplace{
			{App: resource.RouteDestinationApp{GUID: &foundation.appV1}, Weight: weight(10)},
			{App: resource.RouteDestinationApp{GUID: &foundation.appV2}, Weight: weight(90)},
		})
		Expect(err).NotTo(HaveOccurred())
		conn, err := proxyless.Dial(foundation.plane.xdsAddress, "after-restarts", shopHost)
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		Eventually(func(g Gomega) {
			counts, err := proxyless.Split(bounded(), conn, 500)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(counts["v2-a"]).To(BeNumerically("~", 450, 30))
		}, 30*time.Second, 200*time.Millisecond).Should(Succeed())
	})
})
