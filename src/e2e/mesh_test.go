package e2e_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"code.cloudfoundry.org/cf-mesh/internal/copilot"
	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
	ccstandin "code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/meshapp"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/pki"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/policyserver"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/routeemitter"
	"code.cloudfoundry.org/cf-mesh/internal/pilot"
	"code.cloudfoundry.org/cf-mesh/internal/source/networkpolicy/policypoller"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/loopback"
	"code.cloudfoundry.org/cf-mesh/internal/tlsconfig"
)

const ordersHost = "orders.apps.internal"

// meshWorld is a foundation where orders serves an internal route to
// callers that cf-networking's policies name, over mutual TLS with Diego's
// instance identities, and grpc-go apps play the container proxies.
type meshWorld struct {
	cc         *ccstandin.CloudController
	policies   *policyserver.Server
	plane      *controlPlane
	identityCA *pki.CA
	dir        string
	port       int
	apps       map[string]string // app GUID by name
	clientTLS  tlsconfig.Files   // the copilot's policy server client
}

// startMeshWorld starts the foundation; policyServerDown starts the
// policy server failing.
func startMeshWorld(policyServerDown bool) *meshWorld {
	w := &meshWorld{dir: GinkgoT().TempDir(), apps: map[string]string{}}
	natsURL := loopback.StartNATS()
	var ccURL string
	w.cc, ccURL = startCloudController()
	var err error
	w.identityCA, err = pki.NewCA("instance identity CA")
	Expect(err).NotTo(HaveOccurred())

	By("seeding Cloud Controller: orders on an internal route; front and stranger as callers")
	internal := w.cc.AddDomain("apps.internal", true)
	for _, name := range []string{"orders", "front", "stranger"} {
		w.apps[name] = w.cc.AddApp(name)
		w.cc.AddProcess(w.apps[name], "web")
	}
	appLis, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	w.port = appLis.Addr().(*net.TCPAddr).Port
	route := w.cc.AddRoute("orders", internal, "")
	Expect(w.cc.ReplaceDestinations(route, []ccstandin.Destination{{AppGUID: w.apps["orders"], Port: w.port, Protocol: "http2"}})).To(Succeed())

	By("registering orders' container over service discovery, as route-emitter does for internal routes")
	emitter := routeemitter.New(natsURL, lagertest.NewTestLogger("route-emitter"), routeemitter.Options{EmitInternalRoutes: true})
	loopback.Run(emitter.Run)
	emitter.RegisterInternal(routeemitter.NewInternalRouteMessage(routeemitter.AppInstance{ContainerIP: "127.0.0.1", AppGUID: w.apps["orders"]}, ordersHost))

	By("starting the policy server with front allowed to call orders")
	w.policies = w.startPolicyServer()
	w.policies.AddPolicy(w.policy("front"))
	if policyServerDown {
		w.policies.Fail(http.StatusServiceUnavailable)
	}

	By("starting the copilot and a cell's pilot with mesh mutual TLS")
	caFile := filepath.Join(w.dir, "instance-identity-ca.crt")
	Expect(os.WriteFile(caFile, w.identityCA.PEM, 0o600)).To(Succeed())
	w.plane = startControlPlane(ccURL, natsURL, planeSettings{
		// Loopback plays the container network: callers from it need policy.
		mesh:            copilot.MeshConfig{ContainerNetwork: "127.0.0.0/8"},
		networkPolicies: w.pollerConfig(),
		pilotMesh:       pilot.MeshConfig{MTLS: true, InstanceIdentityCAFile: caFile},
		containers:      true,
	})
	Eventually(w.plane.pilot.Ready(), 60*time.Second).Should(BeClosed())

	By("serving orders as a proxyless gRPC server with its c2c certificate")
	orders, err := meshapp.Serve(w.plane.containersAddress, w.identity("orders", "0a1b2c3d-0000-4000-8000-00000000000b", "0a1b2c3d-0000-4000-8000-00000000000b", ordersHost), "orders-0", appLis)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(orders.Stop)
	return w
}

func (w *meshWorld) startPolicyServer() *policyserver.Server {
	clientCA, err := pki.NewCA("network policy CA")
	Expect(err).NotTo(HaveOccurred())
	files, err := clientCA.WriteFiles(w.dir, "copilot-policy-client")
	Expect(err).NotTo(HaveOccurred())
	server, err := policyserver.Start(policyserver.Options{ClientCAPEM: clientCA.PEM})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(server.Close)
	serverCA := filepath.Join(w.dir, "policy-server-ca.crt")
	Expect(os.WriteFile(serverCA, server.CAPEM(), 0o600)).To(Succeed())
	w.clientTLS = tlsconfig.Files{CertFile: files.CertFile, KeyFile: files.KeyFile, CAFile: serverCA}
	return server
}

func (w *meshWorld) pollerConfig() *policypoller.Config {
	cfg := policypoller.Config{
		Address: w.policies.URL(), TLS: w.clientTLS,
		PollInterval: jsonduration.Duration(200 * time.Millisecond),
	}.WithDefaults()
	return &cfg
}

func (w *meshWorld) policy(source string) policyserver.Policy {
	return policyserver.Policy{SourceAppGUID: w.apps[source], DestinationAppGUID: w.apps["orders"], StartPort: w.port}
}

// identity writes an instance identity of the named app: Diego's subject
// and usages, with the given SANs (see ADR 13 on callers' SANs and grpc-go).
func (w *meshWorld) identity(app, instance string, sans ...string) meshapp.Identity {
	cert, key, err := w.identityCA.IssueInstanceIdentity(pki.InstanceIdentity{
		InstanceGUID: instance, AppGUID: w.apps[app], SpaceGUID: ccstandin.DefaultSpaceGUID,
		OrganizationGUID: ccstandin.DefaultOrganizationGUID, DNSNames: sans,
	})
	Expect(err).NotTo(HaveOccurred())
	id, err := meshapp.WriteIdentity(w.dir, "127.0.0.1", instance, cert, key, w.identityCA.PEM)
	Expect(err).NotTo(HaveOccurred())
	return id
}

// call makes one call to the orders route as caller.
func (w *meshWorld) call(caller meshapp.Identity) error {
	conn, err := meshapp.Dial(w.plane.containersAddress, caller, ordersHost)
	Expect(err).NotTo(HaveOccurred())
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = backend.Call(ctx, conn)
	return err
}

var _ = Describe("App-to-app mutual TLS under cf-networking policy, Cloud Controller to grpc-go", func() {
	It("admits the caller a policy names, refuses the others, follows policy changes and keeps the last policies through an outage", func() {
		w := startMeshWorld(false)
		front := w.identity("front", "0f0f0f0f-0000-4000-8000-00000000000f")
		stranger := w.identity("stranger", "0d0d0d0d-0000-4000-8000-00000000000d")

		Eventually(func() error { return w.call(front) }, 60*time.Second, 250*time.Millisecond).Should(Succeed())
		Expect(status.Code(w.call(stranger))).To(Equal(codes.PermissionDenied))

		By("allowing the stranger and revoking the front end at the policy server")
		w.policies.AddPolicy(w.policy("stranger"))
		w.policies.RemovePolicy(w.policy("front"))
		Eventually(func() error { return w.call(stranger) }, 30*time.Second, 250*time.Millisecond).Should(Succeed())
		Eventually(func() codes.Code { return status.Code(w.call(front)) }, 30*time.Second, 250*time.Millisecond).Should(Equal(codes.PermissionDenied))

		By("keeping the last good policies while the policy server fails")
		w.policies.Fail(http.StatusInternalServerError)
		Consistently(func() error { return w.call(stranger) }, 2*time.Second, 250*time.Millisecond).Should(Succeed())
		Expect(status.Code(w.call(front))).To(Equal(codes.PermissionDenied))
		Expect(debug(w.plane.copilotConfig.StatusAddress, "/metrics")).To(ContainSubstring(`cfmesh_copilot_policy_server_polls_total{result="failure"}`))
	})

	It("admits no container caller before the policy server has answered, then what the policies say", func() {
		w := startMeshWorld(true)
		front := w.identity("front", "0f0f0f0f-0000-4000-8000-00000000000f")
		Eventually(func() codes.Code { return status.Code(w.call(front)) }, 60*time.Second, 250*time.Millisecond).Should(Equal(codes.PermissionDenied))
		Consistently(func() codes.Code { return status.Code(w.call(front)) }, 2*time.Second, 250*time.Millisecond).Should(Equal(codes.PermissionDenied))

		w.policies.Recover()
		Eventually(func() error { return w.call(front) }, 30*time.Second, 250*time.Millisecond).Should(Succeed())
	})
})
