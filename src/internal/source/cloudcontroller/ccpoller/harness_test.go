package ccpoller_test

import (
	"context"
	"encoding/pem"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	ccstandin "code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller/ccpoller"
)

const testSecret = "do-not-log-this-secret"

// recorder collects what the poller publishes.
type recorder struct {
	mu     sync.Mutex
	values []source.DesiredRoutes
}

func (r *recorder) publish(v source.DesiredRoutes) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.values = append(r.values, v)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.values)
}

func (r *recorder) last() source.DesiredRoutes {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.values) == 0 {
		return source.DesiredRoutes{}
	}
	return r.values[len(r.values)-1]
}

// hosts lists the URIs of the last published routes.
func (r *recorder) uris() []string {
	var out []string
	for _, route := range r.last().Routes {
		out = append(out, route.URI())
	}
	return out
}

// harness is a Cloud Controller stand-in plus a running poller.
type harness struct {
	cc     *ccstandin.CloudController
	server *httptest.Server
	logger *lagertest.TestLogger
	reg    *prometheus.Registry
	rec    *recorder
	done   chan error
	cancel context.CancelFunc
	// eventsAtStart is how many audit events the stand-in held when the
	// poller started.
	eventsAtStart int
}

func newHarness() *harness {
	return newHarnessWith(ccstandin.Options{})
}

func newHarnessWith(opts ccstandin.Options) *harness {
	opts.ClientSecret = testSecret
	cc := ccstandin.New(opts)
	h := &harness{
		cc:     cc,
		server: httptest.NewUnstartedServer(cc),
		logger: lagertest.NewTestLogger("test"),
		reg:    prometheus.NewRegistry(),
		rec:    &recorder{},
	}
	h.server.Config.ErrorLog = log.New(GinkgoWriter, "cc-stand-in: ", 0)
	cc.SetBaseURL("http://" + h.server.Listener.Addr().String())
	DeferCleanup(h.server.Close)
	return h
}

func (h *harness) config() ccpoller.Config {
	id, secret := h.cc.ClientCredentials()
	return ccpoller.Config{
		APIURL:            "http://" + h.server.Listener.Addr().String(),
		ClientID:          id,
		ClientSecret:      secret,
		EventPollInterval: jsonduration.Duration(10 * time.Millisecond),
		FullSyncInterval:  jsonduration.Duration(time.Hour), // only events move things, unless a test says otherwise
		RequestTimeout:    jsonduration.Duration(2 * time.Second),
		PerPage:           2,
	}
}

// run starts a poller with cfg and stops it when the test ends.
func (h *harness) run(cfg ccpoller.Config) {
	p, err := ccpoller.New(cfg, h.logger, h.reg, h.rec.publish)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	h.eventsAtStart = len(h.cc.AuditEvents())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	h.cancel = cancel
	h.done = make(chan error, 1)
	go func() { h.done <- p.Run(ctx) }()
	DeferCleanup(func() {
		cancel()
		Eventually(h.done, 5*time.Second).Should(Receive(BeNil()))
	})
}

// metric reads a counter or gauge value, or a histogram's sample count;
// labels are name/value pairs. It returns -1 when the series is absent.
func (h *harness) metric(name string, labels ...string) float64 {
	families, err := h.reg.Gather()
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			matches := true
			for _, l := range m.GetLabel() {
				for i := 0; i+1 < len(labels); i += 2 {
					if l.GetName() == labels[i] && l.GetValue() != labels[i+1] {
						matches = false
					}
				}
			}
			if !matches {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return -1
}

func (h *harness) successes() float64 {
	return h.metric("cfmesh_copilot_cc_syncs_total", "result", "success")
}

func (h *harness) failures() float64 {
	return h.metric("cfmesh_copilot_cc_syncs_total", "result", "failure")
}

// logCount counts log lines of the poller with the given action.
func (h *harness) logCount(action string) int {
	n := 0
	for _, m := range h.logger.LogMessages() {
		if strings.HasSuffix(m, ".cc-poller."+action) {
			n++
		}
	}
	return n
}

// waitForMoreSyncs waits until n more syncs than now have completed with
// the given result.
func (h *harness) waitForMoreSyncs(result string, n float64) {
	start := h.metric("cfmesh_copilot_cc_syncs_total", "result", result)
	EventuallyWithOffset(1, func() float64 {
		return h.metric("cfmesh_copilot_cc_syncs_total", "result", result)
	}, 10*time.Second, 5*time.Millisecond).Should(BeNumerically(">=", start+n))
}

// foundation is what seed creates: 5 routes (3 pages of 2) on two
// domains, 3 apps with processes, two routes in a space of their own.
type foundation struct {
	appsDomain, internalDomain string
	org, space                 string
	appA, appB, appC           string
	routes                     []string
}

func (h *harness) seed() foundation {
	f := foundation{
		appsDomain:     h.cc.AddDomain("apps.example.com", false),
		internalDomain: h.cc.AddDomain("apps.internal", true),
		appA:           h.cc.AddApp("a"),
		appB:           h.cc.AddApp("b"),
		appC:           h.cc.AddApp("c"),
	}
	f.org = h.cc.AddOrganization("payments")
	f.space = h.cc.AddSpace("prod", f.org)
	h.cc.AddProcess(f.appA, "web")
	h.cc.AddProcess(f.appB, "web")
	h.cc.AddProcess(f.appC, "worker")
	for _, r := range []struct {
		host, domain, path string
		inSpace            bool
	}{
		{"store", f.appsDomain, "", true},
		{"store", f.appsDomain, "/checkout", true},
		{"backend", f.internalDomain, "", false},
		{"", f.appsDomain, "", false},
		{"admin", f.appsDomain, "", false},
	} {
		var opts []ccstandin.Option
		if r.inSpace {
			opts = append(opts, ccstandin.InSpace(f.space))
		}
		f.routes = append(f.routes, h.cc.AddRoute(r.host, r.domain, r.path, opts...))
	}
	ExpectWithOffset(1, h.cc.ReplaceDestinations(f.routes[0], []ccstandin.Destination{{AppGUID: f.appA}})).To(Succeed())
	ExpectWithOffset(1, h.cc.ReplaceDestinations(f.routes[2], []ccstandin.Destination{{AppGUID: f.appC, ProcessType: "worker", Port: 9090}})).To(Succeed())
	return f
}

var seededURIs = []string{
	"admin.apps.example.com", "apps.example.com", "backend.apps.internal",
	"store.apps.example.com", "store.apps.example.com/checkout",
}

// route returns the last published route with the given URI.
func (r *recorder) route(uri string) source.DesiredRoute {
	for _, route := range r.last().Routes {
		if route.URI() == uri {
			return route
		}
	}
	return source.DesiredRoute{}
}

// listings sums the stand-in's full listings of everything a full sync
// lists.
func (h *harness) listings() int {
	n := 0
	for _, path := range []string{"/v3/routes", "/v3/apps", "/v3/processes", "/v3/spaces"} {
		n += h.cc.Listings(path)
	}
	return n
}

// eventsActedOn sums cfmesh_copilot_cc_events_total over the given types.
func (h *harness) eventsActedOn(types ...string) float64 {
	n := 0.0
	for _, t := range types {
		n += max(h.metric("cfmesh_copilot_cc_events_total", "type", t), 0)
	}
	return n
}

// waitForMorePolls waits until n more event polls than now succeeded.
func (h *harness) waitForMorePolls(n float64) {
	start := h.metric("cfmesh_copilot_cc_event_polls_total", "result", "success")
	EventuallyWithOffset(1, func() float64 {
		return h.metric("cfmesh_copilot_cc_event_polls_total", "result", "success")
	}, 10*time.Second, 5*time.Millisecond).Should(BeNumerically(">=", start+n))
}

// blockOn is a fault that holds requests to path until release is closed,
// telling entered (once) when the first one arrives.
func blockOn(path string, entered chan<- struct{}, release <-chan struct{}) func(*http.Request) (int, string, time.Duration, bool) {
	var once sync.Once
	return func(r *http.Request) (int, string, time.Duration, bool) {
		if r.URL.Path != path {
			return 0, "", 0, false
		}
		once.Do(func() { close(entered) })
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return 0, "", 0, true
	}
}

// failWith is a fault answering status with Cloud Controller's error JSON
// for requests to path (and, when page is set, only for that page).
func failWith(status int, path, page string) func(*http.Request) (int, string, time.Duration, bool) {
	return func(r *http.Request) (int, string, time.Duration, bool) {
		applies := r.URL.Path == path && (page == "" || r.URL.Query().Get("page") == page)
		return status, `{"errors":[{"code":10001,"title":"CF-ServiceUnavailable","detail":"injected"}]}`, 0, applies
	}
}

func pemOf(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
