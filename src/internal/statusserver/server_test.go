package statusserver_test

import (
	"context"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/statusserver"
)

var _ = Describe("Server", func() {
	var (
		ready   atomic.Bool
		address string
	)

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + address + path)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	BeforeEach(func() {
		ready.Store(false)
		reg := prometheus.NewRegistry()
		reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "cfmesh_test_total", Help: "a test counter"}))
		s, err := statusserver.New("127.0.0.1:0", reg, ready.Load, lagertest.NewTestLogger("status"), map[string]http.Handler{
			"/debug/hello": statusserver.JSON(func(*http.Request) (any, error) { return map[string]string{"hello": "operator"}, nil }),
		})
		Expect(err).NotTo(HaveOccurred())
		address = s.Address()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		DeferCleanup(func() { cancel(); Eventually(done, 10*time.Second).Should(Receive(BeNil())) })
	})

	It("is alive at once", func() {
		status, _ := get("/healthz")
		Expect(status).To(Equal(http.StatusOK))
	})

	It("is not ready until the process says so", func() {
		status, body := get("/readyz")
		Expect(status).To(Equal(http.StatusServiceUnavailable))
		Expect(body).To(ContainSubstring("no configuration synced yet"))
		ready.Store(true)
		status, _ = get("/readyz")
		Expect(status).To(Equal(http.StatusOK))
	})

	It("serves the registry's metrics", func() {
		status, body := get("/metrics")
		Expect(status).To(Equal(http.StatusOK))
		Expect(body).To(ContainSubstring("cfmesh_test_total 0"))
	})

	It("serves the process's debug endpoints", func() {
		status, body := get("/debug/hello")
		Expect(status).To(Equal(http.StatusOK))
		Expect(body).To(MatchJSON(`{"hello": "operator"}`))
	})

	It("refuses an address it cannot bind", func() {
		_, err := statusserver.New(address, prometheus.NewRegistry(), ready.Load, lagertest.NewTestLogger("status"), nil)
		Expect(err).To(MatchError(ContainSubstring("status server")))
	})
})

var _ = Describe("Servers", func() {
	get := func(address, path string) int {
		resp, err := http.Get("http://" + address + path)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		return resp.StatusCode
	}

	start := func(metricsAddress string) (*statusserver.Servers, context.CancelFunc, chan error) {
		servers, err := statusserver.Open("127.0.0.1:0", metricsAddress, prometheus.NewRegistry(), func() bool { return true },
			lagertest.NewTestLogger("status"), map[string]http.Handler{
				"/debug/routes": statusserver.JSON(func(*http.Request) (any, error) { return []string{"app.example.com"}, nil }),
			})
		Expect(err).NotTo(HaveOccurred())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- servers.Run(ctx) }()
		return servers, cancel, done
	}

	It("keeps the debug APIs off the metrics address", func() {
		servers, cancel, done := start("127.0.0.1:0")
		defer func() { cancel(); Eventually(done, 10*time.Second).Should(Receive(BeNil())) }()
		metrics := servers.Metrics.Address()
		Expect(get(metrics, "/metrics")).To(Equal(http.StatusOK))
		Expect(get(metrics, "/readyz")).To(Equal(http.StatusOK))
		Expect(get(metrics, "/debug/routes")).To(Equal(http.StatusNotFound))
		Expect(get(metrics, "/debug/pprof/")).To(Equal(http.StatusNotFound))
		Expect(get(servers.Status.Address(), "/debug/routes")).To(Equal(http.StatusOK))
	})

	It("serves Go's profiler on the status server only, beside the debug APIs", func() {
		servers, cancel, done := start("127.0.0.1:0")
		defer func() { cancel(); Eventually(done, 10*time.Second).Should(Receive(BeNil())) }()
		status := servers.Status.Address()
		Expect(get(status, "/debug/pprof/")).To(Equal(http.StatusOK))
		Expect(get(status, "/debug/pprof/heap?gc=1")).To(Equal(http.StatusOK))
		Expect(get(status, "/debug/pprof/goroutine?debug=1")).To(Equal(http.StatusOK))
		Expect(get(status, "/debug/routes")).To(Equal(http.StatusOK))
		Expect(get(servers.Metrics.Address(), "/debug/pprof/heap")).To(Equal(http.StatusNotFound))
	})

	It("serves only the status server without a metrics address", func() {
		servers, cancel, done := start("")
		defer func() { cancel(); Eventually(done, 10*time.Second).Should(Receive(BeNil())) }()
		Expect(servers.Metrics).To(BeNil())
		Expect(get(servers.Status.Address(), "/metrics")).To(Equal(http.StatusOK))
	})

	It("releases the status listener when the metrics address cannot be bound", func() {
		taken, err := statusserver.New("127.0.0.1:0", prometheus.NewRegistry(), func() bool { return true }, lagertest.NewTestLogger("status"), nil)
		Expect(err).NotTo(HaveOccurred())
		_, err = statusserver.Open("127.0.0.1:0", taken.Address(), prometheus.NewRegistry(), func() bool { return true }, lagertest.NewTestLogger("status"), nil)
		Expect(err).To(MatchError(ContainSubstring("status server")))
	})
})
