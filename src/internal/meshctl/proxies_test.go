package meshctl_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/meshctl"
	"code.cloudfoundry.org/cf-mesh/internal/statusserver"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
	"code.cloudfoundry.org/cf-mesh/internal/xdsserver"
)

// sampleProxies is a pilot's /debug/syncz: a synced gateway on Delta, a
// proxyless client that rejected its last routes, and one just connected.
func sampleProxies() []xdsserver.ProxyStatus {
	sent := testNow.Add(-time.Minute)
	return []xdsserver.ProxyStatus{
		{Stream: 1, Node: "router~10.0.4.1~gateway-0~cf.internal", Class: xdsresources.ClassGateway, Delta: true,
			ConnectedAt: testNow.Add(-26*time.Hour - 5*time.Minute),
			Types: map[string]xdsserver.TypeStatus{
				"Listener":              {Sent: "n-4", SentAt: sent, Acked: "n-4", ResourcesSent: 2},
				"RouteConfiguration":    {Sent: "n-7", SentAt: sent, Acked: "n-7", ResourcesSent: 2},
				"Cluster":               {Sent: "n-5", SentAt: sent, Acked: "n-5", ResourcesSent: 3},
				"ClusterLoadAssignment": {Sent: "n-9", SentAt: sent, Acked: "n-8", ResourcesSent: 1},
			}},
		{Stream: 2, Node: "sidecar~10.255.3.4~inst-1~cf.internal", Class: xdsresources.ClassMesh,
			ConnectedAt: testNow.Add(-3*time.Minute - 12*time.Second),
			Types: map[string]xdsserver.TypeStatus{
				"Listener":           {Sent: "boot-12", SentAt: sent, Acked: "boot-12", ResourcesSent: 1},
				"RouteConfiguration": {Sent: "boot-13", SentAt: sent, Acked: "boot-12", ResourcesSent: 1, Nacks: 2, LastError: "route checkout: weighted cluster weights sum to 99,\nnot 100"},
			}},
		{Stream: 3, Node: "sidecar~10.255.3.5~inst-2~cf.internal", Class: xdsresources.ClassMesh, ConnectedAt: testNow.Add(-4 * time.Second),
			Types: map[string]xdsserver.TypeStatus{}},
	}
}

func pilotServing(handlers map[string]http.Handler) string { return serve(handlers) }

var _ = Describe("meshctl proxies", func() {
	It("prints every connected proxy's sync state per xDS type", func() {
		address := pilotServing(map[string]http.Handler{"/debug/syncz": statusserver.JSON(func(*http.Request) (any, error) { return sampleProxies(), nil })})
		r := run("proxies", "--pilot", address)
		Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
		expectGolden("proxies.txt", r.stdout)
	})

	It("prints the pilot's status as JSON for scripts", func() {
		address := pilotServing(map[string]http.Handler{"/debug/syncz": statusserver.JSON(func(*http.Request) (any, error) { return sampleProxies(), nil })})
		r := run("proxies", "--pilot", address, "--json")
		Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
		var got []xdsserver.ProxyStatus
		Expect(json.Unmarshal([]byte(r.stdout), &got)).To(Succeed())
		Expect(got).To(HaveLen(3))
		Expect(got[1].Types["RouteConfiguration"].Nacks).To(Equal(2))
		Expect(got[0].ConnectedAt.Equal(sampleProxies()[0].ConnectedAt)).To(BeTrue())
	})

	DescribeTable("SyncState",
		func(t xdsserver.TypeStatus, want string) { Expect(meshctl.SyncState(t)).To(Equal(want)) },
		Entry("nothing sent", xdsserver.TypeStatus{}, "NOT SENT"),
		Entry("sent and ACKed", xdsserver.TypeStatus{Sent: "3", Acked: "3"}, "SYNCED"),
		Entry("sent, not answered", xdsserver.TypeStatus{Sent: "4", Acked: "3"}, "SENT"),
		Entry("the last response NACKed", xdsserver.TypeStatus{Sent: "4", Acked: "3", Nacks: 1, LastError: "bad"}, "NACKED"),
		Entry("an old NACK, then ACKed", xdsserver.TypeStatus{Sent: "5", Acked: "5", Nacks: 1, LastError: "bad"}, "SYNCED"),
	)
})

var _ = Describe("meshctl config-dump", func() {
	It("prints what the pilot serves the proxy, as the pilot wrote it", func() {
		dump := `{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump"}]}`
		var asked string
		address := pilotServing(map[string]http.Handler{"/debug/config_dump": statusserver.Bytes("application/json", func(r *http.Request) ([]byte, error) {
			asked = r.URL.Query().Get("proxy")
			return []byte(dump), nil
		})})
		r := run("config-dump", "router~10.0.4.1~gateway-0~cf.internal", "--pilot", address)
		Expect(r.code).To(Equal(meshctl.ExitOK), r.stderr)
		Expect(asked).To(Equal("router~10.0.4.1~gateway-0~cf.internal"))
		Expect(r.stdout).To(Equal(dump))
	})

	It("says so when no such proxy is connected", func() {
		address := pilotServing(map[string]http.Handler{"/debug/config_dump": statusserver.Bytes("application/json", func(r *http.Request) ([]byte, error) {
			return nil, errors.New(`no proxy with node id "router~x" is connected to this pilot`)
		})})
		expectFailure(run("config-dump", "router~x", "--pilot", address), meshctl.ExitFailure,
			`pilot answered /debug/config_dump with 404: no proxy with node id "router~x" is connected to this pilot`)
	})

	It("needs exactly one node id", func() {
		expectFailure(run("config-dump"), meshctl.ExitUsage, "config-dump takes one proxy node id (`meshctl proxies` lists them), got 0 arguments")
	})
})
