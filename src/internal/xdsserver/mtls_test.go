package xdsserver_test

import (
	"context"
	"net"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/meshapp"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/pki"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
	"code.cloudfoundry.org/cf-mesh/internal/xdsserver"
)

// The apps of these tests, in one organization and space.
const (
	ordersRoute   = "orders.apps.internal"
	ordersApp     = "bbbbbbbb-2222-4222-8222-000000000002"
	frontApp      = "aaaaaaaa-1111-4111-8111-000000000001"
	strangerApp   = "dddddddd-4444-4444-8444-000000000004"
	theSpace      = "ffffffff-6666-4666-8666-000000000006"
	theOrg        = "99999999-9999-4999-8999-999999999999"
	ordersInst    = "0a1b2c3d-0000-4000-8000-00000000000b"
	frontInst     = "0f0f0f0f-0000-4000-8000-00000000000f"
	strangerInst  = "0d0d0d0d-0000-4000-8000-00000000000d"
	ordersCluster = "outbound|8080|proc-orders|" + ordersRoute
)

// ordersIR routes the internal route to the orders server at 127.0.0.1 and
// admits the callers' apps allowed names.
func ordersIR(port uint32, allowed ...string) envoyir.IR {
	var principals []mesh.Principal
	for _, app := range allowed {
		principals = append(principals, mesh.Principal{Kind: mesh.PrincipalApp, GUID: app})
	}
	rule := envoyir.AuthorizationRule{From: []envoyir.AuthorizationSource{{Principals: principals}}}
	vhost := envoyir.VirtualHost{Name: ordersRoute, ServicePorts: []uint32{8080}, Routes: []envoyir.Route{{
		Name: "route-orders", PathPrefix: "/", Clusters: []envoyir.WeightedCluster{{Cluster: ordersCluster, Weight: 100}},
	}}}
	return envoyir.IR{
		MeshHosts:       []envoyir.VirtualHost{vhost},
		SidecarHosts:    []string{ordersRoute},
		Clusters:        []envoyir.Cluster{{Name: ordersCluster, Host: ordersRoute, Port: 8080, Subset: "proc-orders", LoadBalancing: envoyir.RoundRobin, HTTP2: true}},
		LoadAssignments: []envoyir.LoadAssignment{{Cluster: ordersCluster, Endpoints: []envoyir.Endpoint{{Address: "127.0.0.1", Port: port}}}},
		Workloads:       envoyir.Workloads{ByContainerIP: map[string]string{"127.0.0.1": ordersApp}},
		Inbound:         []envoyir.InboundApp{{AppGUID: ordersApp, Ports: []uint32{8080}, Authorization: &envoyir.Authorization{Rules: []envoyir.AuthorizationRule{rule}}}},
	}
}

var _ = Describe("App-to-app mutual TLS under policy, with grpc-go on both ends", func() {
	var (
		server     *xdsserver.Server
		containers string
		identityCA *pki.CA
		dir        string
		port       uint32
		options    xdsresources.Options
	)

	identity := func(ca *pki.CA, inst, app string, dnsNames ...string) meshapp.Identity {
		cert, key, err := ca.IssueInstanceIdentity(pki.InstanceIdentity{
			InstanceGUID: inst, AppGUID: app, SpaceGUID: theSpace, OrganizationGUID: theOrg, DNSNames: dnsNames,
		})
		Expect(err).NotTo(HaveOccurred())
		id, err := meshapp.WriteIdentity(dir, "127.0.0.1", inst, cert, key, identityCA.PEM)
		Expect(err).NotTo(HaveOccurred())
		return id
	}

	update := func(allowed ...string) {
		res, errs := xdsresources.Translate(ordersIR(port, allowed...), options)
		Expect(errs).To(BeEmpty())
		Expect(server.Update(res)).To(Succeed())
	}

	// call dials the orders route as a caller and makes one call.
	call := func(caller meshapp.Identity) error {
		conn, err := meshapp.Dial(containers, caller, ordersRoute)
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		id, err := backend.Call(ctx, conn)
		if err == nil {
			Expect(id).To(Equal("orders-0"))
		}
		return err
	}

	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		var err error
		identityCA, err = pki.NewCA("instance identity CA")
		Expect(err).NotTo(HaveOccurred())
		options = xdsresources.Options{Mesh: xdsresources.MeshOptions{MTLS: true, InstanceIdentityCA: string(identityCA.PEM)}}

		server = xdsserver.New(lagertest.NewTestLogger("xds"), prometheus.NewRegistry(), "boot-1")
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		containers = lis.Addr().String()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- server.ServeContainers(ctx, lis) }()
		DeferCleanup(func() { cancel(); Eventually(done, 10*time.Second).Should(Receive(BeNil())) })

		appLis, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		port = uint32(appLis.Addr().(*net.TCPAddr).Port)
		update(frontApp)
		// The callee presents its c2c certificate: its SANs are its instance
		// GUID and its internal routes.
		orders, err := meshapp.Serve(containers, identity(identityCA, ordersInst, ordersApp, ordersInst, ordersRoute), "orders-0", appLis)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(orders.Stop)
	})

	It("admits an allowed app, refuses another, refuses another CA, and follows a policy change", func() {
		// Callers present Diego's subject (CN, three OUs) and usages; see
		// ADR 13 for why these have no SANs: grpc-go matches principals on
		// the subject only when a certificate has none.
		front := identity(identityCA, frontInst, frontApp)
		stranger := identity(identityCA, strangerInst, strangerApp)
		otherCA, err := pki.NewCA("not the instance identity CA")
		Expect(err).NotTo(HaveOccurred())
		forger := identity(otherCA, frontInst+"0", frontApp)

		Eventually(func() error { return call(front) }, 30*time.Second, 200*time.Millisecond).Should(Succeed())
		Expect(status.Code(call(stranger))).To(Equal(codes.PermissionDenied))
		Expect(status.Code(call(forger))).To(Equal(codes.Unavailable), "the handshake fails")

		By("following a policy that now admits the stranger and not the front end")
		update(strangerApp)
		Eventually(func() error { return call(stranger) }, 30*time.Second, 200*time.Millisecond).Should(Succeed())
		Eventually(func() codes.Code { return status.Code(call(front)) }, 30*time.Second, 200*time.Millisecond).Should(Equal(codes.PermissionDenied))
	})

	It("refuses a callee whose certificate does not name the route (route integrity)", func() {
		// Another server at the endpoint, with a certificate for another route.
		impostorLis, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		port = uint32(impostorLis.Addr().(*net.TCPAddr).Port)
		update(frontApp)
		impostor, err := meshapp.Serve(containers, identity(identityCA, ordersInst, ordersApp, ordersInst, "billing.apps.internal"), "impostor", impostorLis)
		Expect(err).NotTo(HaveOccurred())
		defer impostor.Stop()

		front := identity(identityCA, frontInst, frontApp)
		Consistently(func() codes.Code { return status.Code(call(front)) }, 3*time.Second, 500*time.Millisecond).Should(Equal(codes.Unavailable))
	})

	It("fails closed for a caller certificate with Diego's SANs, which grpc-go matches before the subject", func() {
		front := identity(identityCA, frontInst, frontApp, frontInst)
		Eventually(func() codes.Code { return status.Code(call(front)) }, 30*time.Second, 200*time.Millisecond).Should(Equal(codes.PermissionDenied))
	})
})
