package natssubscriber_test

import (
	"context"
	"encoding/json"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"code.cloudfoundry.org/lager/v3/lagertest"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
)

// The initial sync: the greet window before the starts, then Ready once
// route-emitters have had time to re-emit and the table is quiet, or at
// the cap (ADR 16). testConfig's timings: greet window 100ms, interval 1s,
// jitter 200ms, quiet 200ms, cap 3s.
var _ = Describe("Ready", func() {
	var (
		natsServer *server.Server
		proxy      *tcpProxy
		client     *nats.Conn
		logger     *lagertest.TestLogger
		registry   *prometheus.Registry
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
		cfg = testConfig(proxy.URL())
		subscriber = nil
	})

	AfterEach(func() {
		if subscriber != nil {
			cancel()
			Eventually(runErr, waitTimeout).Should(Receive(BeNil()))
		}
		client.Close()
		proxy.Close()
		natsServer.Shutdown()
	})

	start := func() {
		var err error
		subscriber, err = natssubscriber.New(cfg, logger, registry, nil)
		Expect(err).NotTo(HaveOccurred())
		var ctx context.Context
		ctx, cancel = context.WithCancel(context.Background())
		runErr = make(chan error, 1)
		go func() { runErr <- subscriber.Run(ctx) }()
	}

	// startAndWaitForRouterStart runs the subscriber and waits for its
	// router.start after the greet window (the second: the first goes out
	// on connect).
	startAndWaitForRouterStart := func() {
		starts, err := client.SubscribeSync(routeregistry.SubjectStart)
		Expect(err).NotTo(HaveOccurred())
		Expect(client.Flush()).To(Succeed())
		start()
		nextMsg(starts)
		nextMsg(starts)
		Expect(starts.Unsubscribe()).To(Succeed())
	}

	publish := func(subject string, data []byte) {
		Expect(client.Publish(subject, data)).To(Succeed())
		Expect(client.Flush()).To(Succeed())
	}

	// initialSyncComplete is the data of the initial-sync-complete log
	// line, with its wait parsed.
	initialSyncComplete := func() (lager.Data, time.Duration) {
		for _, log := range logger.Logs() {
			if log.Message == "test.nats-subscriber.initial-sync-complete" {
				waited, err := time.ParseDuration(log.Data["waited"].(string))
				Expect(err).NotTo(HaveOccurred())
				return log.Data, waited
			}
		}
		Fail("no initial-sync-complete log line")
		return nil, 0
	}

	It("closes only after router.start, never while NATS is unreachable", func() {
		proxy.Down()
		start()
		Consistently(closed(subscriber.Ready()), 500*time.Millisecond, pollEvery).ShouldNot(Succeed(),
			"not ready while NATS is unreachable, although the greet window, jitter and quiet period have long passed")
		Expect(metricValue(registry, "cfmesh_copilot_nats_initial_sync_seconds")).To(BeZero())

		proxy.Up()
		Eventually(closed(subscriber.Ready()), waitTimeout, pollEvery).Should(Succeed())
		messages := logger.LogMessages()
		Expect(messages).To(ContainElement("test.nats-subscriber.initial-sync-complete"))
		startIndex, readyIndex := -1, -1
		for i, m := range messages {
			if m == "test.nats-subscriber.router-start-published" && startIndex < 0 {
				startIndex = i
			}
			if m == "test.nats-subscriber.initial-sync-complete" {
				readyIndex = i
			}
		}
		Expect(startIndex).To(BeNumerically(">=", 0))
		Expect(startIndex).To(BeNumerically("<", readyIndex))
	})

	It("publishes the starts on connect and again after the greet window, and answers a greet sent during the window", func() {
		cfg.GreetWindow = jsonduration.Duration(time.Second)
		routerStarts, err := client.SubscribeSync(routeregistry.SubjectStart)
		Expect(err).NotTo(HaveOccurred())
		sdStarts, err := client.SubscribeSync(routeregistry.SubjectServiceDiscoveryStart)
		Expect(err).NotTo(HaveOccurred())
		Expect(client.Flush()).To(Succeed())
		start()

		// The start on connect ends every route-emitter's greet loop.
		nextMsg(routerStarts)
		nextMsg(sdStarts)
		connectedAt := time.Now()
		// A route-emitter greeting within the window is answered too.
		reply, err := client.Request(routeregistry.SubjectGreet, []byte{}, waitTimeout)
		Expect(err).NotTo(HaveOccurred())
		Expect(json.Valid(reply.Data)).To(BeTrue())
		Expect(routerStarts.Pending()).To(BeZero(), "the second router.start waits for the window")

		// The second finds them all greeted: they re-emit at once.
		nextMsg(routerStarts)
		Expect(time.Since(connectedAt)).To(BeNumerically(">=", 900*time.Millisecond), "router.start again after the greet window")
		nextMsg(sdStarts)
		Consistently(routerStarts.Pending, 500*time.Millisecond, pollEvery).Should(BeZero(), "two starts per connect")
	})

	It("starts the greet window over when NATS goes away during it", func() {
		cfg.GreetWindow = jsonduration.Duration(time.Second)
		starts, err := client.SubscribeSync(routeregistry.SubjectStart)
		Expect(err).NotTo(HaveOccurred())
		Expect(client.Flush()).To(Succeed())
		start()
		nextMsg(starts) // on connect
		proxy.Down()
		Eventually(logger.LogMessages, waitTimeout, pollEvery).Should(ContainElement("test.nats-subscriber.nats-disconnected"))
		Consistently(starts.Pending, 1200*time.Millisecond, pollEvery).Should(BeZero(),
			"no start once the first window would have ended")

		upAt := time.Now()
		proxy.Up()
		nextMsg(starts) // on reconnect
		nextMsg(starts)
		Expect(time.Since(upAt)).To(BeNumerically(">=", time.Second), "a whole window after the reconnect")
		Eventually(closed(subscriber.Ready()), waitTimeout, pollEvery).Should(Succeed())
	})

	It("closes soon after the jitter and quiet period when the table is quiet, holding what was registered", func() {
		startAndWaitForRouterStart()
		started := time.Now()
		// route-emitter's answer to router.start.
		publish(routeregistry.SubjectRegister, registration("10.0.0.1", 8080, "a.example.com", ""))
		Eventually(closed(subscriber.Ready()), waitTimeout, pollEvery).Should(Succeed())
		took := time.Since(started)
		Expect(subscriber.Endpoints()).To(HaveLen(1))

		// jitter + quiet = 400ms after the start (less its delivery
		// here), far from the 3s cap.
		Expect(took).To(BeNumerically(">=", 350*time.Millisecond))
		Expect(took).To(BeNumerically("<", 1500*time.Millisecond))
		data, waited := initialSyncComplete()
		Expect(data).To(HaveKeyWithValue("reason", "quiet"))
		Expect(data).To(HaveKeyWithValue("endpoints", BeEquivalentTo(1)))
		Expect(waited).To(BeNumerically(">=", 500*time.Millisecond), "greet window + jitter + quiet from the connect")
		Expect(waited).To(BeNumerically("<", 3*time.Second))
		Expect(metricValue(registry, "cfmesh_copilot_nats_initial_sync_seconds")).To(BeNumerically("~", waited.Seconds(), 0.001))
	})

	It("does not close while registrations keep changing the table, until the cap", func() {
		cfg.QuietPeriod = jsonduration.Duration(500 * time.Millisecond)
		cfg.InitialSyncWait = jsonduration.Duration(2500 * time.Millisecond)
		startAndWaitForRouterStart()
		// A route-emitter whose apps keep starting: a new endpoint every
		// 20ms, well inside the 500ms quiet period.
		stop := make(chan struct{})
		churned := make(chan struct{})
		go func() {
			defer close(churned)
			for port := 10000; ; port++ {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
					_ = client.Publish(routeregistry.SubjectRegister, registration("10.0.1.1", port, "churn.example.com", ""))
				}
			}
		}()
		defer func() { close(stop); <-churned }()

		Consistently(closed(subscriber.Ready()), 1500*time.Millisecond, pollEvery).ShouldNot(Succeed(),
			"jitter + quiet (700ms) has long passed, but the table never went quiet")
		Eventually(closed(subscriber.Ready()), waitTimeout, pollEvery).Should(Succeed())
		data, waited := initialSyncComplete()
		Expect(data).To(HaveKeyWithValue("reason", "cap"))
		Expect(data).To(HaveKeyWithValue("endpoints", BeNumerically(">", 10)))
		Expect(waited).To(BeNumerically(">=", 2500*time.Millisecond), "the cap, from the connect")
		Expect(waited).To(BeNumerically("<", 3500*time.Millisecond))
		Expect(metricValue(registry, "cfmesh_copilot_nats_initial_sync_seconds")).To(BeNumerically(">=", 2.5))
	})

	It("waits for a route-emitter greeted after the start: one interval after the reply, plus the quiet period", func() {
		cfg.QuietPeriod = jsonduration.Duration(500 * time.Millisecond)
		startAndWaitForRouterStart()
		// A route-emitter that starts after our router.start: it gets
		// our reply but no start, so it first emits an interval later.
		greetSent := time.Now()
		_, err := client.Request(routeregistry.SubjectGreet, []byte{}, waitTimeout)
		Expect(err).NotTo(HaveOccurred())

		Consistently(closed(subscriber.Ready()), time.Second, pollEvery).ShouldNot(Succeed(),
			"jitter + quiet (700ms) after the start has passed, greet + interval + quiet (1.5s) has not")
		Eventually(closed(subscriber.Ready()), waitTimeout, pollEvery).Should(Succeed())
		Expect(time.Since(greetSent)).To(BeNumerically(">=", 1500*time.Millisecond))
		data, _ := initialSyncComplete()
		Expect(data).To(HaveKeyWithValue("reason", "quiet"))
	})
})
