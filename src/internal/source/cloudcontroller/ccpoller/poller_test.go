package ccpoller_test

import (
	"net/http"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	ccstandin "code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller/ccpoller"
)

func ptr[T any](v T) *T { return &v }

var _ = Describe("Poller", func() {
	var (
		h *harness
		f foundation
	)

	BeforeEach(func() {
		h = newHarness()
		f = h.seed()
	})

	Context("with Cloud Controller up", func() {
		var cfg ccpoller.Config

		BeforeEach(func() {
			cfg = h.config()
		})

		JustBeforeEach(func() {
			h.server.Start()
			h.run(cfg)
			Eventually(h.rec.count, 10*time.Second).Should(Equal(1))
		})

		It("publishes every route, paging through Cloud Controller", func() {
			Expect(h.rec.uris()).To(Equal(seededURIs))
			Expect(h.cc.Requests("/v3/routes")).To(BeNumerically(">=", 3), "5 routes at 2 per page")
			Expect(h.cc.Requests("/v3/processes")).To(BeNumerically(">=", 2), "3 processes at 2 per page")

			Expect(h.cc.Listings("/v3/apps")).To(BeNumerically(">=", 2), "3 apps at 2 per page")
			Expect(h.cc.Listings("/v3/spaces")).To(BeNumerically(">=", 1))

			store := h.rec.route("store.apps.example.com")
			Expect(store.SpaceGUID).To(Equal(f.space))
			Expect(store.OrganizationGUID).To(Equal(f.org))
			admin := h.rec.route("admin.apps.example.com")
			Expect(admin.SpaceGUID).To(Equal(ccstandin.DefaultSpaceGUID))
			Expect(admin.OrganizationGUID).To(Equal(ccstandin.DefaultOrganizationGUID))

			backend := h.rec.last().Routes[2]
			Expect(backend.Internal).To(BeTrue())
			Expect(backend.Destinations).To(HaveLen(1))
			Expect(backend.Destinations[0].AppGUID).To(Equal(f.appC))
			Expect(backend.Destinations[0].ProcessType).To(Equal("worker"))
			Expect(backend.Destinations[0].Port).To(Equal(uint32(9090)))
			Expect(backend.Destinations[0].ProcessGUID).NotTo(BeEmpty())
		})

		It("sets its metrics", func() {
			Expect(h.successes()).To(BeNumerically(">=", 1))
			Expect(h.failures()).To(BeNumerically("==", 0))
			Expect(h.metric("cfmesh_copilot_cc_routes")).To(BeNumerically("==", 5))
			Expect(h.metric("cfmesh_copilot_cc_rejected_routes")).To(BeNumerically("==", 0))
			Expect(h.metric("cfmesh_copilot_cc_last_success_timestamp_seconds")).To(BeNumerically(">", 0))
			Expect(h.metric("cfmesh_copilot_cc_sync_duration_seconds")).To(BeNumerically(">=", 1))
			Expect(h.metric("cfmesh_copilot_cc_full_sync_triggers_total", "reason", "start")).To(BeNumerically("==", 1))
			h.waitForMorePolls(1)
			Expect(h.metric("cfmesh_copilot_cc_event_polls_total", "result", "failure")).To(BeNumerically("==", 0))
		})

		It("publishes nothing while nothing changes", func() {
			h.waitForMorePolls(5)
			Expect(h.rec.count()).To(Equal(1))

			h.cc.AddRoute("new", f.appsDomain, "")

			Eventually(h.rec.uris, 10*time.Second).Should(ContainElement("new.apps.example.com"))
			Expect(h.rec.count()).To(Equal(2))
		})

		It("drops a route whose domain is unknown, logs it once, and keeps the rest", func() {
			bad := h.cc.AddRoute("orphan", "no-such-domain", "")

			Eventually(h.logger).Should(gbytes.Say(`"route_guid":"` + bad + `"`))
			h.waitForMorePolls(3)
			Expect(h.rec.uris()).To(Equal(seededURIs))
			Expect(h.rec.count()).To(Equal(1), "the dropped route changed nothing")
			Expect(h.logCount("route-rejected")).To(Equal(1))
			Expect(h.metric("cfmesh_copilot_cc_rejected_routes")).To(BeNumerically("==", 1))

			h.cc.DeleteRoute(bad)

			Eventually(func() int { return h.logCount("route-no-longer-rejected") }, 10*time.Second).Should(Equal(1))
			Eventually(func() float64 { return h.metric("cfmesh_copilot_cc_rejected_routes") }).Should(BeNumerically("==", 0))
		})

		Context("with full syncs every 10ms and audit events hidden", func() {
			BeforeEach(func() {
				cfg.FullSyncInterval = jsonduration.Duration(10 * time.Millisecond)
				h.cc.SuppressEvents(true)
			})

			It("keeps the last good state through 500s, then catches up", func() {
				h.cc.InjectFault(failWith(http.StatusInternalServerError, "/v3/routes", ""))
				h.cc.AddRoute("new", f.appsDomain, "")

				h.waitForMoreSyncs("failure", 3)

				Expect(h.rec.count()).To(Equal(1))
				Expect(h.rec.uris()).To(Equal(seededURIs))
				Expect(h.logCount("sync-failed")).To(BeNumerically(">=", 3))

				h.cc.ClearFaults()

				Eventually(h.rec.uris, 10*time.Second).Should(ContainElement("new.apps.example.com"))
				Expect(h.logCount("sync-recovered")).To(Equal(1))
			})

			It("publishes nothing when a page fails midway", func() {
				h.cc.InjectFault(failWith(http.StatusBadGateway, "/v3/routes", "2"))
				h.cc.DeleteRoute(f.routes[0])

				h.waitForMoreSyncs("failure", 2)

				Expect(h.rec.count()).To(Equal(1), "page 1 alone must not replace the routes")
				Expect(h.rec.uris()).To(Equal(seededURIs))

				h.cc.ClearFaults()

				Eventually(h.rec.uris, 10*time.Second).ShouldNot(ContainElement("store.apps.example.com"))
			})

			It("publishes nothing when listing processes fails", func() {
				h.cc.InjectFault(failWith(http.StatusServiceUnavailable, "/v3/processes", ""))
				h.cc.AddRoute("new", f.appsDomain, "")

				h.waitForMoreSyncs("failure", 2)

				Expect(h.rec.count()).To(Equal(1))
			})

			DescribeTable("treats malformed answers as failures",
				func(body string) {
					h.cc.InjectFault(func(r *http.Request) (int, string, time.Duration, bool) {
						return http.StatusOK, body, 0, r.URL.Path == "/v3/routes"
					})
					h.cc.AddRoute("new", f.appsDomain, "")

					h.waitForMoreSyncs("failure", 2)

					Expect(h.rec.count()).To(Equal(1))
					Expect(h.rec.uris()).To(Equal(seededURIs))
				},
				Entry("truncated JSON", `{"pagination": {"total_results": 5, `),
				Entry("not JSON at all", `<html>maintenance</html>`),
				Entry("a list without `included`, which go-cfclient dereferences",
					`{"pagination":{"total_results":0,"total_pages":1,"first":{"href":"x"},"last":{"href":"x"},"next":null,"previous":null},"resources":[]}`),
			)

			It("rides through revoked tokens: go-cfclient fetches a new one", func() {
				tokens := h.cc.Requests("/oauth/token")
				h.cc.RevokeTokens()

				h.waitForMoreSyncs("success", 3)

				Expect(h.failures()).To(BeNumerically("==", 0))
				Expect(h.cc.Requests("/oauth/token")).To(BeNumerically(">", tokens))
			})

			It("fails a sync that still gets 401 after go-cfclient's token refresh", func() {
				h.cc.InjectFault(failWith(http.StatusUnauthorized, "/v3/routes", ""))
				h.cc.AddRoute("new", f.appsDomain, "")

				h.waitForMoreSyncs("failure", 2)

				Expect(h.rec.count()).To(Equal(1))
				Expect(h.rec.uris()).To(Equal(seededURIs))
			})

			It("backs off while failing", func() {
				h.cc.InjectFault(failWith(http.StatusInternalServerError, "/v3/routes", ""))

				Eventually(func() int { return h.logCount("sync-failed") }, 10*time.Second).Should(BeNumerically(">=", 3))

				var retries []string
				for _, l := range h.logger.Logs() {
					if l.Message == "test.cc-poller.sync-failed" {
						retries = append(retries, l.Data["retry_in"].(string))
					}
				}
				Expect(retries[:3]).To(Equal([]string{"10ms", "20ms", "40ms"}))
			})
		})
	})

	It("retries while Cloud Controller is down at start, then syncs", func() {
		cfg := h.config()
		cfg.RequestTimeout = jsonduration.Duration(100 * time.Millisecond) // the unstarted server answers nothing
		h.run(cfg)

		Eventually(func() int { return h.logCount("connect-failed") }, 10*time.Second).Should(BeNumerically(">=", 2))
		Expect(h.rec.count()).To(Equal(0))
		Expect(h.failures()).To(BeNumerically(">=", 2))

		h.server.Start()

		Eventually(h.rec.count, 10*time.Second).Should(Equal(1))
		Expect(h.rec.uris()).To(Equal(seededURIs))
		Expect(h.logCount("connected")).To(Equal(1))
	})

	It("fails every sync with wrong client credentials, and never logs the secret", func() {
		h.server.Start()
		cfg := h.config()
		cfg.ClientSecret = "wrong-" + testSecret

		h.run(cfg)

		Eventually(func() int { return h.logCount("sync-failed") }, 10*time.Second).Should(BeNumerically(">=", 2))
		Expect(h.rec.count()).To(Equal(0))
		Expect(string(h.logger.Buffer().Contents())).NotTo(ContainSubstring(testSecret))
	})

	Describe("over TLS", func() {
		var caFile string

		BeforeEach(func() {
			h.server.StartTLS()
			h.cc.SetBaseURL(h.server.URL)
			caFile = filepath.Join(GinkgoT().TempDir(), "ca.pem")
			Expect(os.WriteFile(caFile, pemOf(h.server.Certificate().Raw), 0o600)).To(Succeed())
		})

		It("trusts ca_cert_file", func() {
			cfg := h.config()
			cfg.APIURL = h.server.URL
			cfg.CACertFile = caFile
			h.run(cfg)

			Eventually(h.rec.count, 10*time.Second).Should(Equal(1))
		})

		It("refuses an unknown certificate", func() {
			cfg := h.config()
			cfg.APIURL = h.server.URL
			h.run(cfg)

			Eventually(h.logger, 10*time.Second).Should(gbytes.Say("certificate"))
			Expect(h.rec.count()).To(Equal(0))
		})

		It("skips validation when told to", func() {
			cfg := h.config()
			cfg.APIURL = h.server.URL
			cfg.SkipTLSValidation = true
			h.run(cfg)

			Eventually(h.rec.count, 10*time.Second).Should(Equal(1))
		})
	})
})
