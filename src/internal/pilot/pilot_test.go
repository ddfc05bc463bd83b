package pilot_test

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"code.cloudfoundry.org/cf-mesh/internal/copilot"
	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/proxyless"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/routeemitter"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpclient"
	"code.cloudfoundry.org/cf-mesh/internal/pilot"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/loopback"
)

// foundation is a copilot fed by a route file and NATS, a pilot following
// it, and one instance of the shop app serving shop.apps.example.com.
type foundation struct {
	emitter     *routeemitter.Emitter
	stopCopilot func()
	pilot       *pilot.Pilot
	metrics     *prometheus.Registry
	xdsAddress  string
}

// startFoundation starts a foundation whose pilot debounces MCP updates
// for pilotDebounce (zero: the default).
func startFoundation(pilotDebounce time.Duration) *foundation {
	natsURL := loopback.StartNATS()
	emitter := routeemitter.New(natsURL, lagertest.NewTestLogger("emitter"), routeemitter.Options{})
	loopback.Run(emitter.Run)
	f := &foundation{emitter: emitter}
	f.addInstance("shop-0")
	routesPath := filepath.Join(GinkgoT().TempDir(), "routes.yaml")
	Expect(os.WriteFile(routesPath, []byte("routes:\n- host: shop.apps.example.com\n  destinations:\n  - {app_guid: app-shop, process_guid: proc-shop}\n"), 0o644)).To(Succeed())

	mcpAddress := loopback.FreeAddress()
	copilotConfig := copilot.Config{
		RoutesFile: &copilot.RoutesFileConfig{Path: routesPath, PollInterval: jsonduration.Duration(100 * time.Millisecond)},
		NATS: natssubscriber.Config{Servers: []string{natsURL},
			MinimumRegisterInterval: jsonduration.Duration(time.Second), PruneThreshold: jsonduration.Duration(5 * time.Second)},
		MCP:           copilot.MCPConfig{ListenAddress: mcpAddress},
		ProcessConfig: lifecycle.ProcessConfig{StatusAddress: loopback.FreeAddress()},
	}.WithDefaults()
	cop, err := copilot.New(copilotConfig, lagertest.NewTestLogger("copilot"), prometheus.NewRegistry())
	Expect(err).NotTo(HaveOccurred())
	f.stopCopilot = loopback.Run(cop.Run)

	pilotConfig := pilot.Config{
		Copilot:       mcpclient.Config{Addresses: []string{mcpAddress}},
		XDS:           pilot.XDSConfig{ListenAddress: loopback.FreeAddress()},
		ProcessConfig: lifecycle.ProcessConfig{StatusAddress: loopback.FreeAddress(), Debounce: jsonduration.Duration(pilotDebounce)},
	}.WithDefaults()
	Expect(pilotConfig.Validate()).To(Succeed())
	f.metrics = prometheus.NewRegistry()
	f.pilot, err = pilot.New(pilotConfig, lagertest.NewTestLogger("pilot"), f.metrics)
	Expect(err).NotTo(HaveOccurred())
	f.xdsAddress = pilotConfig.XDS.ListenAddress
	loopback.Run(f.pilot.Run)
	return f
}

// addInstance starts a backend answering id and registers it as an
// instance of the shop app.
func (f *foundation) addInstance(id string) {
	b, err := backend.Start(id, "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(b.Stop)
	f.emitter.Register(routeemitter.NewAppInstanceMessage(routeemitter.AppInstance{
		CellIP: "127.0.0.1", HostPort: b.Port(), AppGUID: "app-shop", ProcessGUID: "proc-shop", InstanceGUID: "inst-" + id,
	}, "shop.apps.example.com"))
}

// dial connects a proxyless gRPC client to the shop through the pilot.
func (f *foundation) dial(workload string) *grpc.ClientConn {
	conn, err := proxyless.Dial(f.xdsAddress, workload, "shop.apps.example.com")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(conn.Close)
	return conn
}

// startServing starts a foundation (startFoundation) and a proxyless
// client that has reached the shop's first instance through its pilot;
// the context bounds the spec's calls.
func startServing(pilotDebounce time.Duration) (*foundation, *grpc.ClientConn, context.Context) {
	f := startFoundation(pilotDebounce)
	Eventually(f.pilot.Ready(), 30*time.Second).Should(BeClosed())
	conn := f.dial("client")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	DeferCleanup(cancel)
	Expect(backend.Call(ctx, conn)).To(Equal("shop-0"))
	return f, conn, ctx
}

var _ = Describe("Pilot", func() {
	It("keeps serving its last configuration while the copilot is away", func() {
		f, conn, ctx := startServing(0)

		By("stopping the copilot")
		f.stopCopilot()
		Consistently(func() (string, error) { return backend.Call(ctx, conn) }, 2*time.Second, 100*time.Millisecond).Should(Equal("shop-0"))

		By("serving a client that connects while the copilot is still away")
		Expect(backend.Call(ctx, f.dial("late-client"))).To(Equal("shop-0"))
	})

	It("translates a build as soon as the copilot's build marker says it has arrived, not after the debounce", func() {
		const debounce = 10 * time.Second
		f, conn, ctx := startServing(debounce)

		By("starting a second instance: a ServiceEntry change the pilot would otherwise hold for 10 s")
		started := time.Now()
		f.addInstance("shop-1")
		Eventually(func() (string, error) { return backend.Call(ctx, conn) }, debounce/2, 50*time.Millisecond).Should(Equal("shop-1"))
		GinkgoWriter.Printf("second instance served after %s (pilot debounce %s)\n", time.Since(started), debounce)
		Expect(counterValue(f.metrics, "cfmesh_pilot_endpoints_first_total")).To(BeNumerically(">=", 1),
			"the shop's load assignment went out ahead of the full translation (ADR 20)")
	})

	It("holds the full translation for another instance of a known app back, having served it first, and runs it within two seconds", func() {
		f, conn, ctx := startServing(0)
		before := translations(f.metrics)

		f.addInstance("shop-1")
		Eventually(func() (string, error) { return backend.Call(ctx, conn) }, 10*time.Second, 50*time.Millisecond).Should(Equal("shop-1"))
		Consistently(func() uint64 { return translations(f.metrics) }, 500*time.Millisecond).Should(Equal(before),
			"the instance's endpoint was sent ahead; its full translation waits")
		Eventually(func() uint64 { return translations(f.metrics) }, 10*time.Second).Should(BeNumerically(">", before))
		Expect(counterValue(f.metrics, "cfmesh_pilot_translations_deferred_total")).To(BeNumerically(">=", 1))
	})
})

func translations(reg *prometheus.Registry) uint64 {
	families, err := reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, f := range families {
		if f.GetName() == "cfmesh_pilot_translation_duration_seconds" {
			return f.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return 0
}

func counterValue(reg *prometheus.Registry, name string) float64 {
	families, err := reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	Fail("no metric " + name)
	return 0
}
