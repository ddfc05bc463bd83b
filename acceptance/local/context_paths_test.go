package local_test

import (
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc/codes"

	"code.cloudfoundry.org/cf-mesh/acceptance/report"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

// A gRPC method's path is `/package.Service/Method`, so a context path
// route can send one service to its own app.
const (
	healthService = "/grpc.health.v1.Health"
	healthCheck   = healthService + "/Check"
	// otherMethod is a service no sample app serves: the app the host root
	// routes to answers it Unimplemented, which still names the app.
	otherMethod = "/cfmesh.acceptance.Echo/Call"
)

var _ = Describe("Context paths", Ordered, func() {
	var (
		rootApp, healthApp *testbed.App
		root, health       testbed.Route
	)

	BeforeAll(func() {
		rootApp, healthApp = push("catalog", 1), push("health", 1)
		root = routeTo(false, "", rootApp)
		health = foundation.CreateRoute(strings.TrimSuffix(root.Host, "."+foundation.AppsDomain()), healthService, false)
		mapRoute(health, healthApp)
	})

	It("sends a gRPC service's path to its app and every other method to the host root's app", func(ctx SpecContext) {
		conn := dial(root.Host)
		started := time.Now()
		Eventually(ctx, func(g Gomega) {
			in, err := foundation.Invoke(ctx, conn, healthCheck)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(in).NotTo(BeNil())
			g.Expect(in.ID).To(HavePrefix(healthApp.Name + "/"))
		}).WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(Succeed())
		report.Measure("path route to first call", "%s", seconds(time.Since(started)))

		byApp := map[string]int{}
		for range 100 {
			for _, method := range []string{healthCheck, otherMethod} {
				in, err := foundation.Invoke(ctx, conn, method)
				Expect(in).NotTo(BeNil(), "%s reached an instance (%v)", method, err)
				byApp[method+" → "+strings.SplitN(in.ID, "/", 2)[0]]++
				if method == otherMethod {
					Expect(codeOf(err)).To(Equal(codes.Unimplemented), "the root app does not serve %s", method)
				}
			}
		}
		Expect(byApp).To(Equal(map[string]int{
			healthCheck + " → " + healthApp.Name: 100,
			otherMethod + " → " + rootApp.Name:   100,
		}))
		report.Measure("calls by path", "%d of 100 %s to %s, %d of 100 other to %s",
			byApp[healthCheck+" → "+healthApp.Name], healthService, healthApp.Name, byApp[otherMethod+" → "+rootApp.Name], rootApp.Name)
	}, SpecTimeout(time.Minute))

	It("routes HTTP paths the same way through a real Envoy gateway: /path and /path/..., not /pathx", func(ctx SpecContext) {
		gw := skipWithoutGateway()
		want := map[string]string{
			"/":                      rootApp.Name,
			healthService:            healthApp.Name,
			healthService + "/Check": healthApp.Name,
			healthService + "x":      rootApp.Name,
		}
		for path, app := range want {
			Eventually(ctx, func(g Gomega) {
				a, err := gw.Get(ctx, root.Host, path)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(a.Status).To(Equal(http.StatusOK), a.Body)
				g.Expect(a.Body).To(HavePrefix(app+"/"), path)
			}).WithTimeout(convergeTimeout).WithPolling(pollInterval).Should(Succeed())
		}
	}, SpecTimeout(time.Minute))
})
