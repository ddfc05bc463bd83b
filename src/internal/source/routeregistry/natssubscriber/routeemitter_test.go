package natssubscriber_test

import (
	"context"
	"encoding/json"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	"github.com/nats-io/nats-server/v2/server"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/routeemitter"
	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
)

// These specs run the subscriber against the route-emitter simulator,
// which writes route-emitter's wire format with its own types.
var _ = Describe("with the route-emitter simulator", func() {
	var (
		natsServer *server.Server
		ctx        context.Context
		cancel     context.CancelFunc
		stopped    []chan error
	)

	BeforeEach(func() {
		natsServer = startNATS(-1)
		ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
		stopped = nil
	})

	AfterEach(func() {
		cancel()
		for _, done := range stopped {
			Eventually(done, waitTimeout).Should(Receive(BeNil()))
		}
		natsServer.Shutdown()
	})

	run := func(runner interface{ Run(context.Context) error }) {
		done := make(chan error, 1)
		stopped = append(stopped, done)
		go func() { done <- runner.Run(ctx) }()
	}

	It("greets a waiting route-emitter and holds its registrations by the time it is Ready", func() {
		emitter := routeemitter.New(natsServer.ClientURL(), lagertest.NewTestLogger("emitter"), routeemitter.Options{})
		instance := routeemitter.AppInstance{
			CellIP: "10.0.16.5", HostPort: 61012, TLSHostPort: 61014,
			AppGUID: "app-guid", AppName: "dora", ProcessGUID: "process-guid", InstanceGUID: "instance-guid", Index: 2,
			AvailabilityZone: "z1", Options: json.RawMessage(`{"loadbalancing":"least-connection"}`),
		}
		emitter.Register(routeemitter.NewAppInstanceMessage(instance, "Dora.apps.example.com/"))
		// The emitter starts first: its start-up emit reaches nobody and its
		// greets go unanswered, as when route-emitters run before the copilot.
		run(emitter)

		subscriber, err := natssubscriber.New(natssubscriber.Config{
			Servers:                 []string{natsServer.ClientURL()},
			MinimumRegisterInterval: jsonduration.Duration(time.Second),
			PruneThreshold:          jsonduration.Duration(5 * time.Second),
			PruneInterval:           jsonduration.Duration(100 * time.Millisecond),
		}, lagertest.NewTestLogger("copilot"), prometheus.NewRegistry(), nil)
		Expect(err).NotTo(HaveOccurred())
		run(subscriber)

		Eventually(closed(emitter.Greeted()), waitTimeout).Should(Succeed())
		Eventually(closed(subscriber.Ready()), waitTimeout).Should(Succeed())
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
		emitter := routeemitter.New(natsServer.ClientURL(), lagertest.NewTestLogger("emitter"), routeemitter.Options{EmitInternalRoutes: true})
		instance := routeemitter.AppInstance{
			CellIP: "10.0.16.5", HostPort: 61012, ContainerIP: "10.255.3.4",
			AppGUID: "app-guid", ProcessGUID: "process-guid", InstanceGUID: "instance-guid", Index: 1,
		}
		emitter.Register(routeemitter.NewAppInstanceMessage(instance, "backend.apps.example.com"))
		emitter.RegisterInternal(routeemitter.NewInternalRouteMessage(instance, "backend.apps.internal"))
		run(emitter)

		subscriber, err := natssubscriber.New(natssubscriber.Config{
			Servers:                 []string{natsServer.ClientURL()},
			MinimumRegisterInterval: jsonduration.Duration(time.Second),
			PruneThreshold:          jsonduration.Duration(5 * time.Second),
			PruneInterval:           jsonduration.Duration(100 * time.Millisecond),
		}, lagertest.NewTestLogger("copilot"), prometheus.NewRegistry(), nil)
		Expect(err).NotTo(HaveOccurred())
		run(subscriber)

		Eventually(closed(emitter.InternalGreeted()), waitTimeout).Should(Succeed())
		Eventually(closed(subscriber.Ready()), waitTimeout).Should(Succeed())
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
