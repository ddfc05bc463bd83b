package meshctl_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/meshctl"
	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/statusserver"
)

func weight(w int32) *int32 { return &w }

// sampleTable is a routing table as the copilot builds it: a weighted
// canary whose second destination has no instance, an unweighted route
// with TLS endpoints, a NATS-only system route and an internal route.
func sampleTable() routingtable.Table {
	return routingtable.Table{Routes: []routingtable.Route{
		{
			GUID: "9b1e7c52-route-checkout", Host: "checkout.apps.example.com", Path: "/v2",
			Origin: routingtable.OriginCloudController,
			Destinations: []routingtable.Destination{
				{Key: "proc-v1", AppGUID: "app-checkout-v1", ProcessType: "web", ProcessGUID: "proc-v1", Port: 8080, Protocol: "http1", Weight: weight(80),
					Endpoints: []source.Endpoint{
						{URI: "checkout.apps.example.com/v2", Address: "10.0.16.4", Port: 61012, TLSPort: 61443, ServerCertDomainSAN: "inst-1"},
						{URI: "checkout.apps.example.com/v2", Address: "10.0.16.5", Port: 61014, TLSPort: 61445, ServerCertDomainSAN: "inst-2"},
					}},
				{Key: "proc-v2", AppGUID: "app-checkout-v2", ProcessType: "web", ProcessGUID: "proc-v2", Port: 8080, Protocol: "http1", Weight: weight(20)},
			},
		},
		{
			GUID: "2f0c-route-shop", Host: "shop.apps.example.com", Origin: routingtable.OriginCloudController,
			Destinations: []routingtable.Destination{
				{Key: "proc-shop", AppGUID: "app-shop", ProcessType: "web", Port: 8080, Protocol: "http1",
					Endpoints: []source.Endpoint{{URI: "shop.apps.example.com", Address: "10.0.16.6", TLSPort: 61001}}},
				{Key: "proc-shop-worker", AppGUID: "app-shop", ProcessType: "worker", Port: 9090, Protocol: "http2",
					Endpoints: []source.Endpoint{{URI: "shop.apps.example.com", Address: "10.0.16.7", Port: 61020}}},
			},
		},
		{
			Host: "uaa.sys.example.com", Origin: routingtable.OriginNATS,
			Destinations: []routingtable.Destination{
				{Key: "uaa", Endpoints: []source.Endpoint{{URI: "uaa.sys.example.com", Address: "10.0.1.20", Port: 8080}}},
			},
		},
		{
			Host: "inventory.apps.internal", Internal: true, Origin: routingtable.OriginCloudController,
			Destinations: []routingtable.Destination{
				{Key: "proc-inv", AppGUID: "app-inventory", ProcessType: "web", Port: 8080,
					Endpoints: []source.Endpoint{{URI: "inventory.apps.internal", Address: "10.255.3.4", Port: 8080, Internal: true}}},
			},
		},
	}}
}

// copilotServing serves /debug/routes with the copilot's own handler.
func copilotServing(value func(*http.Request) (any, error)) string {
	return serve(map[string]http.Handler{"/debug/routes": statusserver.JSON(value)})
}

var _ = Describe("meshctl routes", func() {
	It("prints the copilot's routing table with weights, shares and endpoints", func() {
		address := copilotServing(func(*http.Request) (any, error) { return sampleTable(), nil })
		r := run("routes", "--copilot", address)
		Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
		expectGolden("routes.txt", r.stdout)
	})

	It("gives the gateways' share: none for a destination without instances while another has some (ADR 5)", func() {
		address := copilotServing(func(*http.Request) (any, error) { return sampleTable(), nil })
		r := run("routes", "--copilot", "http://"+address, "--host", "CHECKOUT.apps.example.com")
		Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
		Expect(r.stdout).To(MatchRegexp(`app-checkout-v1\s+web\s+8080\s+80\s+100%`))
		Expect(r.stdout).To(MatchRegexp(`app-checkout-v2\s+web\s+8080\s+20\s+0%\s+-`))
		Expect(r.stdout).NotTo(ContainSubstring("shop"))
		Expect(r.stdout).To(ContainSubstring("1 routes, 2 destinations, 2 endpoints"))
	})

	It("prints the table as JSON for scripts", func() {
		address := copilotServing(func(*http.Request) (any, error) { return sampleTable(), nil })
		r := run("routes", "--json", "--copilot", address)
		Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
		var got routingtable.Table
		Expect(json.Unmarshal([]byte(r.stdout), &got)).To(Succeed())
		Expect(got).To(Equal(sampleTable()))
	})

	It("says why when the copilot has not built a table yet", func() {
		address := copilotServing(func(*http.Request) (any, error) {
			return nil, errors.New("nothing built yet: the copilot waits for its route source and NATS to sync")
		})
		expectFailure(run("routes", "--copilot", address), meshctl.ExitFailure,
			"copilot answered /debug/routes with 404: nothing built yet: the copilot waits")
	})

	It("names the address when no copilot listens there", func() {
		s := httptest.NewServer(http.NotFoundHandler())
		address := s.Listener.Addr().String()
		s.Close()
		expectFailure(run("routes", "--copilot", address), meshctl.ExitFailure,
			"copilot status server at "+address+" is not reachable", "--copilot sets the address")
	})

	It("refuses an answer that is not a routing table", func() {
		address := serve(map[string]http.Handler{"/debug/routes": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("<html>gorouter</html>"))
		})})
		expectFailure(run("routes", "--copilot", address), meshctl.ExitFailure, "not its JSON", "is --copilot a copilot status server?")
	})

	DescribeTable("refuses a bad command line with exit code 2",
		func(args []string, reason string) {
			expectFailure(run(args...), meshctl.ExitUsage, reason)
		},
		Entry("an argument", []string{"routes", "checkout"}, `routes takes no arguments, got ["checkout"]`),
		Entry("an unknown flag", []string{"routes", "--pilot", "x"}, "flag provided but not defined: -pilot"),
		Entry("an address that is no address", []string{"routes", "--copilot", "ftp://x"}, `--copilot "ftp://x" is not host:port or an http(s) URL`),
	)
})
