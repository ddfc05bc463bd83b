package routeemitter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/routeemitter"
)

const waitTimeout = 5 * time.Second

func routerStart(intervalSeconds int) []byte {
	return fmt.Appendf(nil, `{"id":"router-0-guid","hosts":["10.0.0.9"],"minimumRegisterIntervalInSeconds":%d,"pruneThresholdInSeconds":120}`, intervalSeconds)
}

// received decodes the next message of sub with route-emitter's field
// names, independent of the Message type under test.
func received(sub *nats.Subscription) map[string]any {
	msg, err := sub.NextMsg(waitTimeout)
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "nothing on %s", sub.Subject)
	var fields map[string]any
	ExpectWithOffset(1, json.Unmarshal(msg.Data, &fields)).To(Succeed())
	return fields
}

func pending(sub *nats.Subscription) func() int {
	return func() int {
		n, _, err := sub.Pending()
		Expect(err).NotTo(HaveOccurred())
		return n
	}
}

func isClosed(ch <-chan struct{}) func() bool {
	return func() bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
}

var _ = Describe("Emitter", func() {
	var (
		natsServer  *server.Server
		router      *nats.Conn
		greets      *nats.Subscription
		registers   *nats.Subscription
		unregisters *nats.Subscription
		logger      *lagertest.TestLogger
		emitter     *routeemitter.Emitter
		appA, appB  routeemitter.Message
		cancel      context.CancelFunc
		runErr      chan error
	)

	BeforeEach(func() {
		var err error
		natsServer, err = server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
		Expect(err).NotTo(HaveOccurred())
		go natsServer.Start()
		Expect(natsServer.ReadyForConnections(waitTimeout)).To(BeTrue())

		router, err = nats.Connect(natsServer.ClientURL())
		Expect(err).NotTo(HaveOccurred())
		greets, err = router.SubscribeSync("router.greet")
		Expect(err).NotTo(HaveOccurred())
		registers, err = router.SubscribeSync("router.register")
		Expect(err).NotTo(HaveOccurred())
		unregisters, err = router.SubscribeSync("router.unregister")
		Expect(err).NotTo(HaveOccurred())
		Expect(router.Flush()).To(Succeed())

		logger = lagertest.NewTestLogger("test")
		emitter = routeemitter.New(natsServer.ClientURL(), logger, routeemitter.Options{
			GreetRetryInterval: 100 * time.Millisecond,
			ReconnectWait:      50 * time.Millisecond,
		})
		appA = routeemitter.NewAppInstanceMessage(routeemitter.AppInstance{
			CellIP: "10.0.16.5", HostPort: 61012, AppGUID: "app-a", InstanceGUID: "inst-a",
		}, "a.apps.example.com")
		appB = routeemitter.NewAppInstanceMessage(routeemitter.AppInstance{
			CellIP: "10.0.16.6", HostPort: 61020, AppGUID: "app-b", InstanceGUID: "inst-b",
		}, "b.apps.example.com")
	})

	run := func() {
		var ctx context.Context
		ctx, cancel = context.WithCancel(context.Background())
		runErr = make(chan error, 1)
		go func() { runErr <- emitter.Run(ctx) }()
	}

	// answerGreet replies to the next greet like a router would.
	answerGreet := func(intervalSeconds int) {
		msg, err := greets.NextMsg(waitTimeout)
		Expect(err).NotTo(HaveOccurred())
		Expect(router.Publish(msg.Reply, routerStart(intervalSeconds))).To(Succeed())
		Eventually(isClosed(emitter.Greeted()), waitTimeout).Should(BeTrue())
	}

	AfterEach(func() {
		cancel()
		Eventually(runErr, waitTimeout).Should(Receive(BeNil()))
		router.Close()
		natsServer.Shutdown()
	})

	It("emits what it has at start-up, then greets until a router answers, and only then re-emits periodically", func() {
		emitter.Register(appA)
		run()
		Expect(received(registers)).To(HaveKeyWithValue("uris", ConsistOf("a.apps.example.com")))

		first, err := greets.NextMsg(waitTimeout)
		Expect(err).NotTo(HaveOccurred())
		Expect(first.Data).To(BeEmpty())
		Expect(first.Reply).NotTo(BeEmpty())
		second, err := greets.NextMsg(waitTimeout)
		Expect(err).NotTo(HaveOccurred())
		Expect(second.Reply).To(Equal(first.Reply), "route-emitter greets with one reply inbox")

		Consistently(pending(registers), time.Second, 50*time.Millisecond).Should(BeZero(),
			"nothing periodic before a router answers, although the greets continue")
		Expect(pending(greets)()).To(BeNumerically(">", 0))

		Expect(router.Publish(second.Reply, routerStart(1))).To(Succeed())
		Eventually(isClosed(emitter.Greeted()), waitTimeout).Should(BeTrue())
		Expect(received(registers)).To(HaveKeyWithValue("uris", ConsistOf("a.apps.example.com")))
		Expect(received(registers)).To(HaveKeyWithValue("uris", ConsistOf("a.apps.example.com")))
	})

	It("starts re-emitting when a router.start arrives while it is still greeting", func() {
		run()
		emitter.Register(appA)
		Expect(received(registers)).To(HaveKeyWithValue("uris", ConsistOf("a.apps.example.com")))
		Expect(greets.NextMsg(waitTimeout)).NotTo(BeNil())

		Expect(router.Publish("router.start", routerStart(1))).To(Succeed())
		Eventually(isClosed(emitter.Greeted()), waitTimeout).Should(BeTrue())
		Expect(received(registers)).To(HaveKeyWithValue("uris", ConsistOf("a.apps.example.com")))
	})

	It("re-emits soon after a new router.start and then follows the new interval", func() {
		emitter.Register(appA)
		run()
		received(registers)
		answerGreet(60)
		Consistently(pending(registers), 300*time.Millisecond, 50*time.Millisecond).Should(BeZero())

		Expect(router.Publish("router.start", routerStart(1))).To(Succeed())
		// Within the jitter (at most 0.2 × 1s); the 60s interval cannot
		// explain it.
		Expect(received(registers)).To(HaveKeyWithValue("uris", ConsistOf("a.apps.example.com")))
		Expect(received(registers)).To(HaveKeyWithValue("uris", ConsistOf("a.apps.example.com")))
	})

	It("publishes Register at once and stops re-emitting after Unregister", func() {
		emitter.Register(appA)
		run()
		received(registers)
		answerGreet(1)

		emitter.Register(appB)
		Expect(received(registers)).To(HaveKeyWithValue("uris", ConsistOf("b.apps.example.com")))

		emitter.Unregister(appA)
		unregistered := received(unregisters)
		Expect(unregistered).To(HaveKeyWithValue("uris", ConsistOf("a.apps.example.com")))
		Expect(unregistered).To(HaveKeyWithValue("private_instance_id", "inst-a"))

		// Periodic emits from now on carry only b; a register of a that
		// was already on its way when we unregistered may still arrive.
		seenB := 0
		for seenB < 2 {
			fields := received(registers)
			if fields["private_instance_id"] == "inst-b" {
				seenB++
			} else {
				Expect(seenB).To(BeZero(), "a was re-emitted after unregister")
			}
		}
	})

	It("ignores invalid router.start messages", func() {
		run()
		// It greets only once it listens for router.start.
		Expect(greets.NextMsg(waitTimeout)).NotTo(BeNil())
		Expect(router.Publish("router.start", []byte(`{"id":"x","minimumRegisterIntervalInSeconds":0}`))).To(Succeed())
		Expect(router.Publish("router.start", []byte(`not json`))).To(Succeed())
		Eventually(logger.LogMessages, waitTimeout).Should(ContainElement("test.route-emitter.router.received-invalid-start"))
		Expect(isClosed(emitter.Greeted())()).To(BeFalse())
	})

	It("writes route-emitter's JSON", func() {
		emitter.Register(routeemitter.NewAppInstanceMessage(routeemitter.AppInstance{
			CellIP: "10.0.16.5", HostPort: 61012, TLSHostPort: 61014,
			AppGUID: "app-guid", AppName: "dora", ProcessGUID: "process-guid", InstanceGUID: "instance-guid", Index: 3,
			SpaceGUID: "space-guid", SpaceName: "space", OrgGUID: "org-guid", OrgName: "org",
			IsolationSegment: "iso", AvailabilityZone: "z1", Protocol: "http2",
			RouteServiceURL: "https://rs.example.com", Options: json.RawMessage(`{"loadbalancing":"least-connection"}`),
		}, "dora.apps.example.com/path"))
		run()

		Expect(received(registers)).To(Equal(map[string]any{
			"host": "10.0.16.5", "port": 61012.0, "tls_port": 61014.0,
			"uris": []any{"dora.apps.example.com/path"}, "protocol": "http2", "app": "app-guid",
			"route_service_url": "https://rs.example.com", "private_instance_id": "instance-guid",
			"private_instance_index": "3", "server_cert_domain_san": "instance-guid",
			"isolation_segment": "iso", "availability_zone": "z1",
			"options": map[string]any{"loadbalancing": "least-connection"},
			"tags": map[string]any{
				"component": "route-emitter", "source_id": "app-guid", "app_id": "app-guid", "app_name": "dora",
				"process_id": "process-guid", "process_type": "web", "process_instance_id": "instance-guid",
				"instance_id": "3", "space_id": "space-guid", "space_name": "space",
				"organization_id": "org-guid", "organization_name": "org",
			},
		}))
	})
})

var _ = Describe("NewAppInstanceMessage", func() {
	It("defaults the process type and protocol and omits what is unset", func() {
		msg := routeemitter.NewAppInstanceMessage(routeemitter.AppInstance{CellIP: "10.0.0.1", HostPort: 8080, AppGUID: "app"}, "a.example.com")
		Expect(msg.Protocol).To(Equal("http1"))
		Expect(msg.Tags).To(Equal(map[string]string{
			"component": "route-emitter", "process_type": "web", "instance_id": "0", "source_id": "app", "app_id": "app",
		}))
		encoded, err := json.Marshal(msg)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(encoded)).NotTo(ContainSubstring("tls_port"))
		Expect(string(encoded)).NotTo(ContainSubstring("options"))
	})
})
