package natssubscriber_test

import (
	"context"
	"encoding/json"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/routeemitter"
	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
)

// These specs run the subscriber against the route-emitter simulator,
// which writes route-emitter's wire format with its own types.
var _ = Describe("with the route-emitter simulator", func() {
	var (
		natsServer *server.Server
		listener   *nats.Conn
		ctx        context.Context
		cancel     context.CancelFunc
		stopped    []chan error
	)

	BeforeEach(func() {
		natsServer = startNATS(-1)
		listener = nil
		ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
		stopped = nil
	})

	AfterEach(func() {
		cancel()
		for _, done := range stopped {
			Eventually(done, waitTimeout).Should(Receive(BeNil()))
		}
		if listener != nil {
			listener.Close()
		}
		natsServer.Shutdown()
	})

	run := func(runner interface{ Run(context.Context) error }) {
		done := make(chan error, 1)
		stopped = append(stopped, done)
		go func() { done <- runner.Run(ctx) }()
	}

	// listenToGreets is a router that only listens to greets. Without any
	// subscriber, the server answers a greet with a no-responders status
	// message, which uses up route-emitter's one-message reply
	// subscription: later greet replies are lost and only a start message
	// ends its greet loop (ADR 16).
	listenToGreets := func() {
		listener = connectClient(natsServer.ClientURL())
		for _, subject := range []string{routeregistry.SubjectGreet, routeregistry.SubjectServiceDiscoveryGreet} {
			_, err := listener.Subscribe(subject, func(*nats.Msg) {})
			Expect(err).NotTo(HaveOccurred())
		}
		Expect(listener.Flush()).To(Succeed())
	}

	It("ends the greet loop of a route-emitter whose greets nobody heard, and holds its registrations by the time it is Ready", func() {
		emitterLogger := lagertest.NewTestLogger("emitter")
		emitter := routeemitter.New(natsServer.ClientURL(), emitterLogger, routeemitter.Options{})
		instance := routeemitter.AppInstance{
			CellIP: "10.0.16.5", HostPort: 61012, AppGUID: "app-guid", ProcessGUID: "process-guid", InstanceGUID: "instance-guid", Index: 2,
		}
		emitter.Register(routeemitter.NewAppInstanceMessage(instance, "dora.apps.example.com"))
		run(emitter) // its greets get no-responders: its reply inbox is gone
		Eventually(emitterLogger.LogMessages, waitTimeout).Should(ContainElement("emitter.route-emitter.router.greeting"))
		Consistently(closed(emitter.Greeted()), 1500*time.Millisecond).ShouldNot(Succeed())

		// A long interval: its first periodic emit would come 5s after
		// our start ended its greet loop.
		copilotLogger := lagertest.NewTestLogger("copilot")
		subscriber, err := natssubscriber.New(natssubscriber.Config{
			Servers:                 []string{natsServer.ClientURL()},
			MinimumRegisterInterval: jsonduration.Duration(5 * time.Second), // the simulator's jitter: up to 1s
			PruneThreshold:          jsonduration.Duration(15 * time.Second),
			PruneInterval:           jsonduration.Duration(100 * time.Millisecond),
			QuietPeriod:             jsonduration.Duration(500 * time.Millisecond),
		}, copilotLogger, prometheus.NewRegistry(), nil)
		Expect(err).NotTo(HaveOccurred())
		began := time.Now()
		run(subscriber)

		Eventually(closed(subscriber.Ready()), waitTimeout).Should(Succeed())
		// greet window 1.5s + jitter 1s + quiet 0.5s; its first periodic
		// emit would come 5s after our first start.
		Expect(time.Since(began)).To(BeNumerically("<", 4500*time.Millisecond), "before the emitter's first periodic emit")
		Expect(emitterLogger.LogMessages()).To(ContainElement("emitter.route-emitter.router.received-new-interval"),
			"the start after the greet window found it greeted and made it re-emit")
		Expect(subscriber.Endpoints()).To(ConsistOf(HaveField("URI", "dora.apps.example.com")))
	})

	It("greets a waiting route-emitter and holds its registrations by the time it is Ready", func() {
		listenToGreets()
		emitterLogger := lagertest.NewTestLogger("emitter")
		emitter := routeemitter.New(natsServer.ClientURL(), emitterLogger, routeemitter.Options{})
		instance := routeemitter.AppInstance{
			CellIP: "10.0.16.5", HostPort: 61012, TLSHostPort: 61014,
			AppGUID: "app-guid", AppName: "dora", ProcessGUID: "process-guid", InstanceGUID: "instance-guid", Index: 2,
			AvailabilityZone: "z1", Options: json.RawMessage(`{"loadbalancing":"least-connection"}`),
		}
		emitter.Register(routeemitter.NewAppInstanceMessage(instance, "Dora.apps.example.com/"))
		// The emitter starts first: its start-up emit reaches nobody and its
		// greets go unanswered, as when route-emitters run before the copilot.
		run(emitter)
		Eventually(emitterLogger.LogMessages, waitTimeout).Should(ContainElement("emitter.route-emitter.router.greeting"))

		// The default greet window (1.5s, against the simulator's 1s greet
		// retry) and jitter (0.2 × 1s); a shorter quiet period than 2s.
		copilotLogger := lagertest.NewTestLogger("copilot")
		subscriber, err := natssubscriber.New(natssubscriber.Config{
			Servers:                 []string{natsServer.ClientURL()},
			MinimumRegisterInterval: jsonduration.Duration(time.Second),
			PruneThreshold:          jsonduration.Duration(5 * time.Second),
			PruneInterval:           jsonduration.Duration(100 * time.Millisecond),
			QuietPeriod:             jsonduration.Duration(500 * time.Millisecond),
		}, copilotLogger, prometheus.NewRegistry(), nil)
		Expect(err).NotTo(HaveOccurred())
		run(subscriber)

		Eventually(closed(emitter.Greeted()), waitTimeout).Should(Succeed())
		Eventually(closed(subscriber.Ready()), waitTimeout).Should(Succeed())
		Expect(emitterLogger.LogMessages()).To(ContainElement("emitter.route-emitter.router.received-new-interval"),
			"so the emitter took router.start as a start to re-emit on")
		Expect(copilotLogger.Logs()).To(ContainElement(SatisfyAll(
			HaveField("Message", "copilot.nats-subscriber.initial-sync-complete"),
			HaveField("Data", HaveKeyWithValue("reason", "quiet")))), "the simulator re-emitted and the table went quiet before the cap")
		Expect(subscriber.Endpoints()).To(Equal(source.Endpoints{{
			URI: "dora.apps.example.com", Address: "10.0.16.5", Port: 61012, TLSPort: 61014,
			ServerCertDomainSAN: "instance-guid", AppGUID: "app-guid", ProcessGUID: "process-guid",
			ProcessType: "web", InstanceID: "instance-guid", InstanceIndex: "2", Protocol: "http1",
			AvailabilityZone: "z1", LoadBalancing: "least-connection",
			Tags: map[string]string{
				"component": "route-emitter", "source_id": "app-guid", "app_id": "app-guid", "app_name": "dora",
				"process_id": "process-guid", "process_type": "web", "process_instance_id": "instance-guid",
				"instance_id": "2",
			},
		}}))

		emitter.Unregister(routeemitter.NewAppInstanceMessage(instance, "dora.apps.example.com"))
		Eventually(subscriber.Endpoints, waitTimeout).Should(BeEmpty())
	})

	It("answers route-emitter's service-discovery greet and holds its internal routes by the time it is Ready", func() {
		listenToGreets()
		emitterLogger := lagertest.NewTestLogger("emitter")
		emitter := routeemitter.New(natsServer.ClientURL(), emitterLogger, routeemitter.Options{EmitInternalRoutes: true})
		instance := routeemitter.AppInstance{
			CellIP: "10.0.16.5", HostPort: 61012, ContainerIP: "10.255.3.4",
			AppGUID: "app-guid", ProcessGUID: "process-guid", InstanceGUID: "instance-guid", Index: 1,
		}
		emitter.Register(routeemitter.NewAppInstanceMessage(instance, "backend.apps.example.com"))
		emitter.RegisterInternal(routeemitter.NewInternalRouteMessage(instance, "backend.apps.internal"))
		run(emitter)
		Eventually(emitterLogger.LogMessages, waitTimeout).Should(ContainElement("emitter.route-emitter.service-discovery.greeting"))

		subscriber, err := natssubscriber.New(natssubscriber.Config{
			Servers:                 []string{natsServer.ClientURL()},
			MinimumRegisterInterval: jsonduration.Duration(time.Second),
			PruneThreshold:          jsonduration.Duration(5 * time.Second),
			PruneInterval:           jsonduration.Duration(100 * time.Millisecond),
			QuietPeriod:             jsonduration.Duration(500 * time.Millisecond),
		}, lagertest.NewTestLogger("copilot"), prometheus.NewRegistry(), nil)
		Expect(err).NotTo(HaveOccurred())
		run(subscriber)

		Eventually(closed(emitter.InternalGreeted()), waitTimeout).Should(Succeed())
		Eventually(closed(subscriber.Ready()), waitTimeout).Should(Succeed())
		Expect(emitterLogger.LogMessages()).To(ContainElement("emitter.route-emitter.service-discovery.received-new-interval"),
			"greeted during the greet window, then re-emitted on service-discovery.start")
		internal := source.Endpoint{Address: "10.255.3.4", AppGUID: "app-guid", InstanceIndex: "1",
			Tags: map[string]string{"component": "route-emitter"}, Internal: true}
		withURI := func(e source.Endpoint, uri string) source.Endpoint {
			e.URI = uri
			return e
		}
		Expect(subscriber.Endpoints()).To(ConsistOf(
			HaveField("URI", "backend.apps.example.com"),
			withURI(internal, "1.backend.apps.internal"),
			withURI(internal, "backend.apps.internal"),
		))

		emitter.UnregisterInternal(routeemitter.NewInternalRouteMessage(instance, "backend.apps.internal"))
		Eventually(subscriber.Endpoints, waitTimeout).Should(ConsistOf(HaveField("URI", "backend.apps.example.com")))
	})
})
