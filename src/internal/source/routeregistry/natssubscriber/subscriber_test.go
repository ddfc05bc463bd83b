package natssubscriber_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"code.cloudfoundry.org/lager/v3/lagertest"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
)

const (
	waitTimeout = 5 * time.Second
	pollEvery   = 20 * time.Millisecond
)

func registration(host string, port int, uri string, extra string) []byte {
	return fmt.Appendf(nil, `{"host":%q,"port":%d,"uris":[%q],"app":"app-guid","private_instance_id":"inst-%d",`+
		`"private_instance_index":"0","tags":{"component":"route-emitter","process_type":"web"}%s}`, host, port, uri, port, extra)
}

var _ = Describe("Subscriber", func() {
	var (
		natsServer *server.Server
		proxy      *tcpProxy
		client     *nats.Conn
		logger     *lagertest.TestLogger
		registry   *prometheus.Registry
		changes    atomic.Int64
		cfg        natssubscriber.Config
		subscriber *natssubscriber.Subscriber
		cancel     context.CancelFunc
		runErr     chan error
	)

	BeforeEach(func() {
		natsServer = startNATS(-1)
		proxy = newTCPProxy(natsServer.Addr().String())
		client = connectClient(natsServer.ClientURL())
		logger = lagertest.NewTestLogger("test")
		registry = prometheus.NewRegistry()
		changes.Store(0)
		cfg = testConfig(proxy.URL())
		subscriber = nil
	})

	start := func() {
		var err error
		subscriber, err = natssubscriber.New(cfg, logger, registry, func() { changes.Add(1) })
		Expect(err).NotTo(HaveOccurred())
		var ctx context.Context
		ctx, cancel = context.WithCancel(context.Background())
		runErr = make(chan error, 1)
		go func() { runErr <- subscriber.Run(ctx) }()
	}

	// waitForStart subscribes to router.start before the subscriber runs
	// and returns the first one it publishes.
	startAndWaitForRouterStart := func() routeregistry.RouterStart {
		starts, err := client.SubscribeSync(routeregistry.SubjectStart)
		Expect(err).NotTo(HaveOccurred())
		Expect(client.Flush()).To(Succeed())
		start()
		var msg routeregistry.RouterStart
		Expect(json.Unmarshal(nextMsg(starts).Data, &msg)).To(Succeed())
		Expect(starts.Unsubscribe()).To(Succeed())
		return msg
	}

	publish := func(subject string, data []byte) {
		Expect(client.Publish(subject, data)).To(Succeed())
		Expect(client.Flush()).To(Succeed())
	}

	AfterEach(func() {
		if subscriber != nil {
			cancel()
			Eventually(runErr, waitTimeout).Should(Receive(BeNil()))
		}
		client.Close()
		proxy.Close()
		natsServer.Shutdown()
	})

	Describe("the router protocol", func() {
		It("publishes router.start on connect and answers router.greet with the same message", func() {
			routerStart := startAndWaitForRouterStart()
			Expect(routerStart.ID).To(MatchRegexp(`^copilot-0-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`))
			Expect(routerStart.Hosts).To(Equal([]string{"10.0.0.9"}))
			Expect(routerStart.MinimumRegisterIntervalInSeconds).To(Equal(1))
			Expect(routerStart.PruneThresholdInSeconds).To(Equal(1))

			// route-emitter greets with an empty payload and a reply inbox.
			reply, err := client.Request(routeregistry.SubjectGreet, []byte{}, waitTimeout)
			Expect(err).NotTo(HaveOccurred())
			var greeting routeregistry.RouterStart
			Expect(json.Unmarshal(reply.Data, &greeting)).To(Succeed())
			Expect(greeting).To(Equal(routerStart))
			Expect(metricValue(registry, "cfmesh_copilot_nats_messages_total", "subject", "router.greet", "result", "accepted")).To(Equal(1.0))
			// logged just after the publish, on the subscriber's goroutine
			Eventually(logger.LogMessages, waitTimeout, pollEvery).Should(ContainElement("test.nats-subscriber.router-start-published"))
		})

		It("publishes router.start again after NATS restarts", func() {
			first := startAndWaitForRouterStart()
			Eventually(metricValue).WithArguments(registry, "cfmesh_copilot_nats_connected").Should(Equal(1.0))

			proxy.Down()
			port := natsPort(natsServer)
			client.Close()
			natsServer.Shutdown()
			natsServer.WaitForShutdown()
			Eventually(logger.LogMessages, waitTimeout, pollEvery).Should(ContainElement("test.nats-subscriber.nats-disconnected"))
			Expect(metricValue(registry, "cfmesh_copilot_nats_connected")).To(Equal(0.0))

			natsServer = startNATS(port)
			client = connectClient(natsServer.ClientURL())
			starts, err := client.SubscribeSync(routeregistry.SubjectStart)
			Expect(err).NotTo(HaveOccurred())
			Expect(client.Flush()).To(Succeed())
			proxy.Up()

			var again routeregistry.RouterStart
			Expect(json.Unmarshal(nextMsg(starts).Data, &again)).To(Succeed())
			Expect(again).To(Equal(first), "the id is stable for the life of the process")
			Eventually(logger.LogMessages, waitTimeout, pollEvery).Should(ContainElement("test.nats-subscriber.nats-reconnected"))
			Expect(metricValue(registry, "cfmesh_copilot_nats_connected")).To(Equal(1.0))
		})

		It("keeps retrying when NATS is not there at start", func() {
			proxy.Down()
			start()
			Consistently(closed(subscriber.Ready()), 300*time.Millisecond, pollEvery).ShouldNot(Succeed())
			proxy.Up()
			Eventually(closed(subscriber.Ready()), waitTimeout, pollEvery).Should(Succeed())
		})
	})

	Describe("registrations", func() {
		BeforeEach(func() {
			startAndWaitForRouterStart()
		})

		It("applies register and unregister to Endpoints and calls onChange", func() {
			publish(routeregistry.SubjectRegister, registration("10.0.16.5", 61012, "Dora.apps.example.com/", `,"tls_port":61014,"server_cert_domain_san":"inst-61012"`))
			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(1))
			endpoint := subscriber.Endpoints()[0]
			Expect(endpoint.URI).To(Equal("dora.apps.example.com"))
			Expect(endpoint.Address).To(Equal("10.0.16.5"))
			Expect(endpoint.Port).To(BeEquivalentTo(61012))
			Expect(endpoint.TLSPort).To(BeEquivalentTo(61014))
			Expect(endpoint.AppGUID).To(Equal("app-guid"))
			Expect(endpoint.ProcessType).To(Equal("web"))
			Eventually(changes.Load, waitTimeout, pollEvery).Should(BeEquivalentTo(1))
			Expect(metricValue(registry, "cfmesh_copilot_nats_endpoints")).To(Equal(1.0))

			publish(routeregistry.SubjectUnregister, registration("10.0.16.5", 61012, "dora.apps.example.com", `,"tls_port":61014`))
			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(BeEmpty())
			Eventually(changes.Load, waitTimeout, pollEvery).Should(BeEquivalentTo(2))
			Expect(metricValue(registry, "cfmesh_copilot_nats_endpoints")).To(Equal(0.0))
			Expect(logger.LogMessages()).To(ContainElements("test.nats-subscriber.endpoint-registered", "test.nats-subscriber.endpoint-unregistered"))
		})

		It("does not call onChange when route-emitter only re-registers", func() {
			steady := registration("10.0.0.1", 8080, "a.example.com", "")
			publish(routeregistry.SubjectRegister, steady)
			Eventually(changes.Load, waitTimeout, pollEvery).Should(BeEquivalentTo(1))

			for range 5 {
				publish(routeregistry.SubjectRegister, steady)
			}
			// Messages are applied in order: once the sentinel is in, the
			// repeats before it have been applied too.
			publish(routeregistry.SubjectRegister, registration("10.0.0.2", 8080, "sentinel.example.com", ""))
			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(2))
			// Each message's onChange runs before the next message is
			// applied, so a repeat that wrongly counted as a change would
			// already show here.
			Eventually(changes.Load, waitTimeout, pollEvery).Should(BeEquivalentTo(2))
			Expect(metricValue(registry, "cfmesh_copilot_nats_messages_total", "subject", "router.register", "result", "accepted")).To(Equal(7.0))
		})

		It("rejects invalid messages, counts and logs them, and keeps going", func() {
			publish(routeregistry.SubjectRegister, []byte(`not json at all`))
			publish(routeregistry.SubjectRegister, registration("10.0.0.1", 8080, "a.example.com", `,"route_service_url":"http://insecure"`))
			publish(routeregistry.SubjectUnregister, []byte(`{"host":"10.0.0.1","uris":["a.example.com"]}`))
			publish(routeregistry.SubjectRegister, registration("10.0.0.1", 8080, "ok.example.com", ""))

			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(1))
			Expect(subscriber.Endpoints()[0].URI).To(Equal("ok.example.com"))
			Expect(metricValue(registry, "cfmesh_copilot_nats_messages_total", "subject", "router.register", "result", "rejected")).To(Equal(2.0))
			Expect(metricValue(registry, "cfmesh_copilot_nats_messages_total", "subject", "router.unregister", "result", "rejected")).To(Equal(1.0))

			var rejected []lager.LogFormat
			for _, log := range logger.Logs() {
				if log.Message == "test.nats-subscriber.registration-rejected" {
					rejected = append(rejected, log)
				}
			}
			Expect(rejected).To(HaveLen(3))
			Expect(rejected[1].Data).To(HaveKeyWithValue("error", ContainSubstring("route_service_url")))
			Expect(rejected[1].Data).To(HaveKeyWithValue("payload", ContainSubstring("http://insecure")))
			Expect(rejected[2].Data).To(HaveKeyWithValue("error", ContainSubstring("port")))
		})

		It("ignores router.start from other routers", func() {
			publish(routeregistry.SubjectStart, []byte(`{"id":"gorouter-1","hosts":["10.0.0.2"],"minimumRegisterIntervalInSeconds":20,"pruneThresholdInSeconds":120}`))
			publish(routeregistry.SubjectRegister, registration("10.0.0.1", 8080, "ok.example.com", ""))
			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(1))
			Expect(logger.LogMessages()).NotTo(ContainElement("test.nats-subscriber.registration-rejected"))
		})

		DescribeTable("rejects a bad message with a counted reason and one log line, and keeps its state",
			func(subject string, payload []byte, reason string) {
				publish(routeregistry.SubjectRegister, registration("10.0.0.1", 8080, "kept.example.com", ""))
				Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(1))
				publish(subject, payload)
				publish(routeregistry.SubjectRegister, registration("10.0.0.2", 8080, "after.example.com", ""))
				Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(2))

				// service-discovery.* has a subscription (and goroutine) of
				// its own, so wait for the log line; the count comes first.
				rejectedLogs := func() []lager.LogFormat {
					var rejected []lager.LogFormat
					for _, log := range logger.Logs() {
						if log.Message == "test.nats-subscriber.registration-rejected" {
							rejected = append(rejected, log)
						}
					}
					return rejected
				}
				Eventually(rejectedLogs, waitTimeout, pollEvery).Should(HaveLen(1))
				Consistently(rejectedLogs, 100*time.Millisecond, pollEvery).Should(HaveLen(1))
				rejected := rejectedLogs()
				Expect(metricValue(registry, "cfmesh_copilot_nats_rejected_messages_total", "subject", subject, "reason", reason)).To(Equal(1.0))
				Expect(metricValue(registry, "cfmesh_copilot_nats_messages_total", "subject", subject, "result", "rejected")).To(Equal(1.0))
				Expect(rejected[0].Data).To(HaveKeyWithValue("reason", reason))
				Expect(rejected[0].Data).To(HaveKeyWithValue("subject", subject))
				Expect(rejected[0].Data).To(HaveKeyWithValue("payload_bytes", BeEquivalentTo(len(payload))))
				Expect(len(rejected[0].Data["payload"].(string))).To(BeNumerically("<=", 512+len("...(truncated)")))
				Expect(subscriber.Endpoints()[1].URI).To(Equal("kept.example.com"))
			},
			Entry("bad JSON", routeregistry.SubjectRegister, []byte(`not json at all`), "malformed_json"),
			Entry("truncated JSON", routeregistry.SubjectUnregister, []byte(`{"host":"10.0.0.1","uris":["kept.example.com"`), "malformed_json"),
			Entry("missing host", routeregistry.SubjectRegister, []byte(`{"port":8080,"uris":["a.example.com"]}`), "invalid_host"),
			Entry("port 0 and no tls_port", routeregistry.SubjectRegister, []byte(`{"host":"10.0.0.3","port":0,"uris":["a.example.com"]}`), "invalid_port"),
			Entry("no port on unregister", routeregistry.SubjectUnregister, []byte(`{"host":"10.0.0.1","uris":["kept.example.com"]}`), "invalid_port"),
			Entry("invalid URI", routeregistry.SubjectRegister, registration("10.0.0.3", 8080, "https://a.example.com", ""), "invalid_uris"),
			Entry("plain-http route service", routeregistry.SubjectRegister,
				registration("10.0.0.3", 8080, "a.example.com", `,"route_service_url":"http://insecure"`), "invalid_route_service_url"),
			Entry("oversized payload", routeregistry.SubjectRegister,
				registration("10.0.0.3", 8080, "a.example.com", `,"padding":"`+strings.Repeat("x", 70_000)+`"`), "payload_too_large"),
			Entry("internal route with a path", routeregistry.SubjectServiceDiscoveryRegister,
				[]byte(`{"host":"10.255.0.1","uris":["backend.apps.internal/api"]}`), "invalid_uris"),
			Entry("internal route without a host", routeregistry.SubjectServiceDiscoveryUnregister,
				[]byte(`{"uris":["backend.apps.internal"]}`), "invalid_host"),
			Entry("bad JSON on service discovery", routeregistry.SubjectServiceDiscoveryRegister,
				[]byte(`garbage "0.foo.com"] }`), "malformed_json"),
		)
	})

	Describe("service discovery (internal routes)", func() {
		const internalMessage = `{"host":"10.255.3.4","port":0,"uris":["Backend.apps.internal","1.backend.apps.internal"],` +
			`"app":"app-guid","private_instance_index":"1","tags":{"component":"route-emitter"}}`

		It("publishes service-discovery.start on connect and answers service-discovery.greet with it", func() {
			starts, err := client.SubscribeSync(routeregistry.SubjectServiceDiscoveryStart)
			Expect(err).NotTo(HaveOccurred())
			cfg.ServiceDiscoveryPruneThreshold = jsonduration.Duration(3 * time.Second)
			routerStart := startAndWaitForRouterStart()

			var sdStart routeregistry.ServiceDiscoveryStart
			Expect(json.Unmarshal(nextMsg(starts).Data, &sdStart)).To(Succeed())
			Expect(sdStart).To(Equal(routeregistry.ServiceDiscoveryStart{
				ID: routerStart.ID, Host: "10.0.0.9", MinimumRegisterIntervalInSeconds: 1, PruneThresholdInSeconds: 3,
			}))

			reply, err := client.Request(routeregistry.SubjectServiceDiscoveryGreet, []byte{}, waitTimeout)
			Expect(err).NotTo(HaveOccurred())
			var greeting routeregistry.ServiceDiscoveryStart
			Expect(json.Unmarshal(reply.Data, &greeting)).To(Succeed())
			Expect(greeting).To(Equal(sdStart))
			Expect(metricValue(registry, "cfmesh_copilot_nats_messages_total", "subject", "service-discovery.greet", "result", "accepted")).To(Equal(1.0))
		})

		It("tells the copilot which hosts' endpoints changed since it last asked, with theirs alone (ADR 20)", func() {
			startAndWaitForRouterStart()
			for i := range 8 {
				publish(routeregistry.SubjectRegister, registration("10.0.16.5", 61000+i, fmt.Sprintf("app-%d.apps.example.com", i), ""))
			}
			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(8))
			first := subscriber.RoutingEndpointsChanged(4)
			Expect(first.ChangedHosts).To(HaveLen(8), "the first call names every host since the start")
			Expect(first.Endpoints).To(BeNil(), "more hosts than asked for")

			publish(routeregistry.SubjectRegister, registration("10.0.16.6", 61100, "app-3.apps.example.com/api", ""))
			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(9))
			full := subscriber.RoutingEndpoints()
			Expect(full.Endpoints).To(HaveLen(9))
			Expect(full.Version).To(BeNumerically(">", first.Version), "a snapshot after a change holds more changes")
			changed := subscriber.RoutingEndpointsChanged(4)
			Expect(changed.ChangedHosts).To(Equal([]string{"app-3.apps.example.com"}))
			Expect(changed.Endpoints).To(Equal(source.Endpoints{full.Endpoints[3], full.Endpoints[4]}), "app-3's two URIs")
			Expect(changed.Version).To(Equal(full.Version))

			again := subscriber.RoutingEndpointsChanged(4)
			Expect(again.ChangedHosts).To(BeEmpty(), "nothing changed since")
			Expect(again.Version).To(Equal(full.Version))
		})

		It("keeps internal endpoints apart from router.register ones, with the same change semantics", func() {
			startAndWaitForRouterStart()
			publish(routeregistry.SubjectServiceDiscoveryRegister, []byte(internalMessage))
			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(2))
			Expect(subscriber.Endpoints()).To(Equal(source.Endpoints{
				{URI: "1.backend.apps.internal", Address: "10.255.3.4", AppGUID: "app-guid", InstanceIndex: "1",
					Tags: map[string]string{"component": "route-emitter"}, Internal: true},
				{URI: "backend.apps.internal", Address: "10.255.3.4", AppGUID: "app-guid", InstanceIndex: "1",
					Tags: map[string]string{"component": "route-emitter"}, Internal: true},
			}))
			routing := subscriber.RoutingEndpoints().Endpoints
			Expect(routing).To(HaveLen(2))
			for i, e := range routing {
				Expect(e.Tags).To(BeNil())
				e.Tags = subscriber.Endpoints()[i].Tags
				Expect(e).To(Equal(subscriber.Endpoints()[i]), "all but the tags")
			}
			Eventually(changes.Load, waitTimeout, pollEvery).Should(BeEquivalentTo(1))

			for range 3 {
				publish(routeregistry.SubjectServiceDiscoveryRegister, []byte(internalMessage))
			}
			// Applied in order on the service-discovery subscription: once
			// the sentinel is in, the repeats have been applied.
			publish(routeregistry.SubjectServiceDiscoveryRegister, []byte(`{"host":"10.255.3.5","uris":["sentinel.apps.internal"]}`))
			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(3))
			Eventually(changes.Load, waitTimeout, pollEvery).Should(BeEquivalentTo(2), "repeats changed nothing")
			Expect(metricValue(registry, "cfmesh_copilot_nats_messages_total", "subject", "service-discovery.register", "result", "accepted")).To(Equal(5.0))
			Expect(logger.LogMessages()).To(ContainElement("test.nats-subscriber.internal-endpoint-registered"))

			// A router.register for the same URI and IP is another endpoint.
			publish(routeregistry.SubjectRegister, registration("10.255.3.4", 8080, "backend.apps.internal", ""))
			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(4))

			publish(routeregistry.SubjectServiceDiscoveryUnregister, []byte(internalMessage))
			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(2))
			Expect(subscriber.Endpoints()).To(ConsistOf(
				HaveField("URI", "backend.apps.internal"), HaveField("URI", "sentinel.apps.internal")))
			Expect(subscriber.Endpoints()[0].Internal).To(BeFalse(), "the router.register endpoint sorts first and stays")
			Expect(logger.LogMessages()).To(ContainElement("test.nats-subscriber.internal-endpoint-unregistered"))
		})

		It("prunes internal endpoints after the service-discovery threshold", func() {
			cfg.PruneThreshold = jsonduration.Duration(time.Hour)
			cfg.ServiceDiscoveryPruneThreshold = jsonduration.Duration(1500 * time.Millisecond)
			startAndWaitForRouterStart()
			publish(routeregistry.SubjectRegister, registration("10.0.0.1", 8080, "plain.example.com", ""))
			publish(routeregistry.SubjectServiceDiscoveryRegister, []byte(internalMessage))
			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(3))

			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(1))
			Expect(subscriber.Endpoints()[0].URI).To(Equal("plain.example.com"))
			Expect(metricValue(registry, "cfmesh_copilot_nats_pruned_endpoints_total")).To(Equal(2.0))
		})
	})

	Describe("pruning", func() {
		BeforeEach(func() {
			startAndWaitForRouterStart()
		})

		It("prunes endpoints that stop re-registering, but never TLS ones", func() {
			publish(routeregistry.SubjectRegister, registration("10.0.0.1", 8080, "plain.example.com", `,"stale_threshold_in_seconds":1`))
			publish(routeregistry.SubjectRegister, registration("10.0.0.2", 8080, "tls.example.com", `,"tls_port":61001`))
			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(2))

			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(1))
			Expect(subscriber.Endpoints()[0].URI).To(Equal("tls.example.com"))
			Expect(metricValue(registry, "cfmesh_copilot_nats_pruned_endpoints_total")).To(Equal(1.0))
			Eventually(changes.Load, waitTimeout, pollEvery).Should(BeEquivalentTo(3))
			Eventually(logger.LogMessages, waitTimeout, pollEvery).Should(ContainElement("test.nats-subscriber.endpoint-pruned"))
			for _, log := range logger.Logs() {
				if log.Message == "test.nats-subscriber.endpoint-pruned" {
					Expect(log.Data).To(HaveKeyWithValue("count", BeEquivalentTo(1)))
					Expect(log.Data).To(HaveKeyWithValue("sample", ConsistOf(ContainSubstring("plain.example.com 10.0.0.1:8080"))))
				}
			}
		})

		It("suspends pruning while NATS is down and gives endpoints a full threshold after it returns", func() {
			publish(routeregistry.SubjectRegister, registration("10.0.0.1", 8080, "a.example.com", ""))
			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(1))

			proxy.Down()
			Eventually(logger.LogMessages, waitTimeout, pollEvery).Should(ContainElement("test.nats-subscriber.pruning-suspended"))
			Expect(metricValue(registry, "cfmesh_copilot_nats_pruning_suspended")).To(Equal(1.0))
			// Longer than the 1.5s threshold, with a prune tick every 50ms.
			Consistently(subscriber.Endpoints, 2*time.Second, 100*time.Millisecond).Should(HaveLen(1))

			proxy.Up()
			Eventually(logger.LogMessages, waitTimeout, pollEvery).Should(ContainElement("test.nats-subscriber.pruning-resumed"))
			// Without the refresh on reconnect the next prune tick would
			// remove it: it was last registered more than 2s ago.
			Expect(subscriber.Endpoints()).To(HaveLen(1))
			Expect(metricValue(registry, "cfmesh_copilot_nats_pruning_suspended")).To(Equal(0.0))

			// Nobody re-registers it, so it goes once the threshold passes.
			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(BeEmpty())
			Expect(metricValue(registry, "cfmesh_copilot_nats_pruned_endpoints_total")).To(Equal(1.0))
		})
	})

	Describe("shutdown", func() {
		It("returns nil once the context is done, and the endpoints stay readable", func() {
			startAndWaitForRouterStart()
			publish(routeregistry.SubjectRegister, registration("10.0.0.1", 8080, "a.example.com", ""))
			Eventually(subscriber.Endpoints, waitTimeout, pollEvery).Should(HaveLen(1))

			stopped := subscriber
			subscriber = nil // AfterEach must not stop it again
			cancel()
			Eventually(runErr, waitTimeout).Should(Receive(BeNil()))
			Expect(stopped.Endpoints()).To(HaveLen(1))
			Expect(metricValue(registry, "cfmesh_copilot_nats_connected")).To(Equal(0.0))
			Expect(logger.LogMessages()).To(ContainElement("test.nats-subscriber.stopped"))
		})
	})
})
