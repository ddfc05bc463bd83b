package e2e_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/copilot"
	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
	ccstandin "code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/pki"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/routeemitter"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpclient"
	"code.cloudfoundry.org/cf-mesh/internal/pilot"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller/ccpoller"
	"code.cloudfoundry.org/cf-mesh/internal/source/networkpolicy/policypoller"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/loopback"
)

func startCloudController() (*ccstandin.CloudController, string) {
	cc := ccstandin.New(ccstandin.Options{})
	server := httptest.NewServer(cc)
	DeferCleanup(server.Close)
	cc.SetBaseURL(server.URL)
	return cc, server.URL
}

func startBackend(id string) *backend.Backend {
	b, err := backend.Start(id, "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(b.Stop)
	return b
}

func startEmitter(natsURL string) *routeemitter.Emitter {
	emitter := routeemitter.New(natsURL, lagertest.NewTestLogger("route-emitter"), routeemitter.Options{})
	loopback.Run(emitter.Run)
	return emitter
}

// controlPlane holds the in-process copilot and pilot, restartable with
// the same configuration (as monit restarts a process).
type controlPlane struct {
	xdsAddress        string
	containersAddress string
	pilotRegistry     *prometheus.Registry
	pilot             *pilot.Pilot
	copilotConfig     copilot.Config
	pilotConfig       pilot.Config
	stopCopilot       func()
	stopPilot         func()
}

// debug fetches one of a process's debug endpoints from its status server.
func debug(statusAddress, path string) string {
	resp, err := http.Get("http://" + statusAddress + path)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	Expect(resp.StatusCode).To(Equal(http.StatusOK), string(body))
	return string(body)
}

// runCopilot starts a copilot process with the plane's configuration.
func (cp *controlPlane) runCopilot() {
	cop, err := copilot.New(cp.copilotConfig, lagertest.NewTestLogger("copilot"), prometheus.NewRegistry())
	Expect(err).NotTo(HaveOccurred())
	cp.stopCopilot = loopback.Start(cop.Run)
}

// runPilot starts a pilot process with the plane's configuration.
func (cp *controlPlane) runPilot() {
	cp.pilotRegistry = prometheus.NewRegistry()
	var err error
	cp.pilot, err = pilot.New(cp.pilotConfig, lagertest.NewTestLogger("pilot"), cp.pilotRegistry)
	Expect(err).NotTo(HaveOccurred())
	cp.stopPilot = loopback.Start(cp.pilot.Run)
}

// planeSettings are what a test adds to the configurations.
type planeSettings struct {
	mesh    copilot.MeshConfig
	gateway pilot.GatewayConfig
	// networkPolicies reads a policy server; pilotMesh and containers
	// serve the mesh's containers (issue 5).
	networkPolicies *policypoller.Config
	pilotMesh       pilot.MeshConfig
	containers      bool
}

// startControlPlane runs a copilot reading ccURL and natsURL and a pilot
// following it over mutual TLS, as their binaries would with these configs.
func startControlPlane(ccURL, natsURL string, gw planeSettings) *controlPlane {
	dir := GinkgoT().TempDir()
	ca, err := pki.NewCA("e2e CA")
	Expect(err).NotTo(HaveOccurred())
	serverTLS, err := ca.WriteFiles(dir, "copilot", "127.0.0.1")
	Expect(err).NotTo(HaveOccurred())
	clientTLS, err := ca.WriteFiles(dir, "pilot")
	Expect(err).NotTo(HaveOccurred())
	clientTLS.ServerName = "127.0.0.1"
	clientID, secret := ccstandin.DefaultClientID, ccstandin.DefaultClientSecret

	mcpAddress := loopback.FreeAddress()
	copilotConfig := copilot.Config{
		CloudController: &ccpoller.Config{
			APIURL: ccURL, ClientID: clientID, ClientSecret: secret,
			EventPollInterval: jsonduration.Duration(200 * time.Millisecond), PerPage: 2,
			FullSyncInterval: jsonduration.Duration(5 * time.Minute), // changes must arrive as audit events
		},
		NATS: natssubscriber.Config{
			Servers:                 []string{natsURL},
			MinimumRegisterInterval: jsonduration.Duration(time.Second),
			PruneThreshold:          jsonduration.Duration(5 * time.Second),
			PruneInterval:           jsonduration.Duration(time.Second),
		},
		MCP:             copilot.MCPConfig{ListenAddress: mcpAddress, TLS: serverTLS},
		Mesh:            gw.mesh,
		NetworkPolicies: gw.networkPolicies,
		ProcessConfig:   lifecycle.ProcessConfig{Debounce: jsonduration.Duration(50 * time.Millisecond), StatusAddress: loopback.FreeAddress()},
	}.WithDefaults()
	Expect(copilotConfig.Validate()).To(Succeed())
	cp := &controlPlane{xdsAddress: loopback.FreeAddress(), copilotConfig: copilotConfig}
	// The plane outlives the spec that restarts a process: whatever runs
	// when the container ends is stopped then.
	DeferCleanup(func() { cp.stopPilot(); cp.stopCopilot() })
	cp.runCopilot()

	pilotConfig := pilot.Config{
		Copilot:       mcpclient.Config{Addresses: []string{mcpAddress}},
		CopilotTLS:    clientTLS,
		XDS:           pilot.XDSConfig{ListenAddress: cp.xdsAddress},
		Gateway:       gw.gateway,
		Mesh:          gw.pilotMesh,
		ProcessConfig: lifecycle.ProcessConfig{Debounce: jsonduration.Duration(50 * time.Millisecond), StatusAddress: loopback.FreeAddress()},
	}.WithDefaults()
	if gw.containers {
		cp.containersAddress = loopback.FreeAddress()
		pilotConfig.Containers.ListenAddress = cp.containersAddress
	}
	Expect(pilotConfig.Validate()).To(Succeed())
	cp.pilotConfig = pilotConfig
	cp.runPilot()
	return cp
}

// metricValue sums a metric's series in a registry.
func metricValue(reg *prometheus.Registry, name string) float64 {
	families, err := reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	total := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			total += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return total
}
