package routeemitter_test

import (
	"context"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/routeemitter"
)

var _ = Describe("Emitter with internal routes", func() {
	var (
		natsServer        *server.Server
		subscriber        *nats.Conn
		sdGreets, sdRegs  *nats.Subscription
		sdUnregs, rGreets *nats.Subscription
		backend           routeemitter.Message
		cancel            context.CancelFunc
		runErr            chan error
	)

	BeforeEach(func() {
		var err error
		natsServer, err = server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
		Expect(err).NotTo(HaveOccurred())
		go natsServer.Start()
		Expect(natsServer.ReadyForConnections(waitTimeout)).To(BeTrue())
		subscriber, err = nats.Connect(natsServer.ClientURL())
		Expect(err).NotTo(HaveOccurred())
		for sub, subject := range map[**nats.Subscription]string{
			&sdGreets: "service-discovery.greet", &sdRegs: "service-discovery.register",
			&sdUnregs: "service-discovery.unregister", &rGreets: "router.greet",
		} {
			*sub, err = subscriber.SubscribeSync(subject)
			Expect(err).NotTo(HaveOccurred())
		}
		Expect(subscriber.Flush()).To(Succeed())
		backend = routeemitter.NewInternalRouteMessage(routeemitter.AppInstance{
			CellIP: "10.0.16.5", ContainerIP: "10.255.3.4", AppGUID: "app-guid", InstanceGUID: "instance-guid", Index: 1,
		}, "backend.apps.internal")
	})

	run := func(opts routeemitter.Options) *routeemitter.Emitter {
		opts.GreetRetryInterval = 100 * time.Millisecond
		emitter := routeemitter.New(natsServer.ClientURL(), lagertest.NewTestLogger("test"), opts)
		emitter.RegisterInternal(backend)
		var ctx context.Context
		ctx, cancel = context.WithCancel(context.Background())
		runErr = make(chan error, 1)
		go func() { runErr <- emitter.Run(ctx) }()
		return emitter
	}

	AfterEach(func() {
		cancel()
		Eventually(runErr, waitTimeout).Should(Receive(BeNil()))
		subscriber.Close()
		natsServer.Shutdown()
	})

	It("writes route-emitter's internal route message: container IP, port 0, both names, no instance GUID", func() {
		run(routeemitter.Options{EmitInternalRoutes: true})
		Expect(received(sdRegs)).To(Equal(map[string]any{
			"host": "10.255.3.4", "port": 0.0,
			"uris": []any{"backend.apps.internal", "1.backend.apps.internal"},
			"app":  "app-guid", "private_instance_index": "1",
			"tags": map[string]any{"component": "route-emitter"},
		}))
	})

	It("greets service discovery on its own and re-emits internal routes once a subscriber answers", func() {
		emitter := run(routeemitter.Options{EmitInternalRoutes: true})
		received(sdRegs) // the start-up emit

		greet, err := sdGreets.NextMsg(waitTimeout)
		Expect(err).NotTo(HaveOccurred())
		Expect(greet.Reply).NotTo(BeEmpty())
		Consistently(pending(sdRegs), 300*time.Millisecond, 50*time.Millisecond).Should(BeZero(),
			"nothing periodic before a service-discovery subscriber answers")

		// A service-discovery-controller's answer has one host, not hosts.
		Expect(subscriber.Publish(greet.Reply, []byte(`{"id":"sdc-0","host":"10.0.0.7","minimumRegisterIntervalInSeconds":1,"pruneThresholdInSeconds":120}`))).To(Succeed())
		Eventually(isClosed(emitter.InternalGreeted()), waitTimeout).Should(BeTrue())
		Expect(isClosed(emitter.Greeted())()).To(BeFalse(), "the router side is still waiting for a router")
		Expect(received(sdRegs)).To(HaveKeyWithValue("host", "10.255.3.4"))
		Expect(received(sdRegs)).To(HaveKeyWithValue("host", "10.255.3.4"))

		emitter.UnregisterInternal(backend)
		Expect(received(sdUnregs)).To(HaveKeyWithValue("uris", ConsistOf("backend.apps.internal", "1.backend.apps.internal")))
	})

	It("resets the internal interval on service-discovery.start", func() {
		emitter := run(routeemitter.Options{EmitInternalRoutes: true})
		received(sdRegs)
		Expect(subscriber.Publish("service-discovery.start", []byte(`{"id":"sdc-0","host":"10.0.0.7","minimumRegisterIntervalInSeconds":60,"pruneThresholdInSeconds":120}`))).To(Succeed())
		Eventually(isClosed(emitter.InternalGreeted()), waitTimeout).Should(BeTrue())
		Consistently(pending(sdRegs), 300*time.Millisecond, 50*time.Millisecond).Should(BeZero())

		Expect(subscriber.Publish("service-discovery.start", []byte(`{"id":"copilot-0","host":"10.0.0.9","minimumRegisterIntervalInSeconds":1,"pruneThresholdInSeconds":180}`))).To(Succeed())
		Expect(received(sdRegs)).To(HaveKeyWithValue("host", "10.255.3.4"), "within the jitter, not after 60s")
	})

	It("publishes nothing on service-discovery.* unless internal routes are enabled, like route-emitter", func() {
		emitter := run(routeemitter.Options{})
		Expect(rGreets.NextMsg(waitTimeout)).NotTo(BeNil())
		emitter.RegisterInternal(backend)
		Consistently(pending(sdRegs), 300*time.Millisecond, 50*time.Millisecond).Should(BeZero())
		Expect(pending(sdGreets)()).To(BeZero())
	})
})
