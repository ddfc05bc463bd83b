package cloudcontroller_test

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cloudfoundry/go-cfclient/v3/client"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
)

var _ = Describe("authentication", func() {
	var (
		s     *standIn
		clock *fakeClock
	)

	BeforeEach(func() {
		clock = &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		s = startStandIn(cloudcontroller.Options{ClientID: "copilot", ClientSecret: "s3cret", TokenLifetime: time.Hour, Now: clock.Now})
		DeferCleanup(s.Close)
		s.cc.AddRoute("app", s.cc.AddDomain("apps.example.com", false), "")
	})

	listRoutes := func(c *client.Client) error {
		ctx, cancel := testContext()
		defer cancel()
		_, err := c.Routes.ListAll(ctx, nil)
		return err
	}

	It("answers 401 CF-NotAuthenticated without a token", func() {
		status, body := s.do(http.MethodGet, "/v3/routes", "", "")

		Expect(status).To(Equal(http.StatusUnauthorized))
		Expect(firstError(body)).To(Equal(map[string]any{
			"code": float64(10002), "title": "CF-NotAuthenticated", "detail": "Authentication error",
		}))
	})

	It("answers 401 CF-InvalidAuthToken for a token it did not issue", func() {
		status, body := s.do(http.MethodGet, "/v3/processes", "made-up", "")

		Expect(status).To(Equal(http.StatusUnauthorized))
		Expect(firstError(body)).To(HaveKeyWithValue("title", "CF-InvalidAuthToken"))
	})

	It("guards unknown /v3 endpoints too", func() {
		status, _ := s.do(http.MethodGet, "/v3/stacks", "", "")
		Expect(status).To(Equal(http.StatusUnauthorized))
	})

	It("issues tokens to the configured client, in basic auth or form fields", func() {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"copilot"}, "client_secret": {"s3cret"}}
		resp, err := http.Post(s.server.URL+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))

		Expect(listRoutes(s.cfClient("copilot", "s3cret"))).To(Succeed())
	})

	It("refuses other grants", func() {
		resp, err := http.Post(s.server.URL+"/oauth/token", "application/x-www-form-urlencoded",
			strings.NewReader("grant_type=password&username=admin&password=admin"))
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
	})

	It("refuses wrong client credentials with 401", func() {
		err := listRoutes(s.cfClient("copilot", "wrong"))

		Expect(err).To(MatchError(ContainSubstring(`"unauthorized" "Bad credentials"`)), err.Error())
		Expect(s.cc.Requests("/oauth/token")).To(BeNumerically(">=", 1))
	})

	It("expires tokens, and go-cfclient fetches a new one", func() {
		c := s.cfClient("copilot", "s3cret")
		Expect(listRoutes(c)).To(Succeed())
		Expect(s.cc.Requests("/oauth/token")).To(Equal(1))

		clock.Advance(time.Hour + time.Second)

		Expect(listRoutes(c)).To(Succeed())
		Expect(s.cc.Requests("/oauth/token")).To(Equal(2), "the expired token was refused and replaced")
		Expect(s.cc.Requests("/v3/routes")).To(Equal(3), "one 401, then the retry")
	})

	It("accepts a token until it expires", func() {
		token := s.token()
		clock.Advance(time.Hour - time.Second)
		status, _ := s.do(http.MethodGet, "/v3/routes", token, "")
		Expect(status).To(Equal(http.StatusOK))

		clock.Advance(time.Second)
		status, _ = s.do(http.MethodGet, "/v3/routes", token, "")
		Expect(status).To(Equal(http.StatusUnauthorized))
	})

	It("invalidates every token on RevokeTokens, and go-cfclient recovers", func() {
		c := s.cfClient("copilot", "s3cret")
		Expect(listRoutes(c)).To(Succeed())

		s.cc.RevokeTokens()

		Expect(listRoutes(c)).To(Succeed())
		Expect(s.cc.Requests("/oauth/token")).To(Equal(2))
	})
})

var _ = Describe("fault injection", func() {
	var s *standIn

	BeforeEach(func() {
		s = startStandIn(cloudcontroller.Options{})
		DeferCleanup(s.Close)
		s.cc.AddRoute("app", s.cc.AddDomain("apps.example.com", false), "")
	})

	It("answers with the fault's status and body, and counts the request", func() {
		s.cc.InjectFault(func(r *http.Request) (int, string, time.Duration, bool) {
			return http.StatusServiceUnavailable, `{"errors":[{"code":10001,"title":"CF-Unavailable","detail":"down"}]}`, 0, r.URL.Path == "/v3/routes"
		})
		token := s.token()

		status, body := s.do(http.MethodGet, "/v3/routes", token, "")

		Expect(status).To(Equal(http.StatusServiceUnavailable))
		Expect(firstError(body)).To(HaveKeyWithValue("detail", "down"))
		Expect(s.cc.Requests("/v3/routes")).To(Equal(1))

		status, _ = s.do(http.MethodGet, "/v3/domains", token, "")
		Expect(status).To(Equal(http.StatusOK), "faults apply only where they say")
	})

	It("serves normally after a delay when the status is 0", func() {
		delayed := make(chan struct{}, 1)
		s.cc.InjectFault(func(*http.Request) (int, string, time.Duration, bool) {
			delayed <- struct{}{}
			return 0, "", time.Millisecond, true
		})

		status, _ := s.do(http.MethodGet, "/", "", "")

		Expect(status).To(Equal(http.StatusOK))
		Expect(delayed).To(Receive())
	})

	It("tries faults in order and stops at the first that applies", func() {
		s.cc.InjectFault(func(*http.Request) (int, string, time.Duration, bool) { return 0, "", 0, false })
		s.cc.InjectFault(func(*http.Request) (int, string, time.Duration, bool) { return 500, `{}`, 0, true })
		s.cc.InjectFault(func(*http.Request) (int, string, time.Duration, bool) { return 502, `{}`, 0, true })

		status, _ := s.do(http.MethodGet, "/", "", "")
		Expect(status).To(Equal(500))

		s.cc.ClearFaults()
		status, _ = s.do(http.MethodGet, "/", "", "")
		Expect(status).To(Equal(http.StatusOK))
	})

	It("gives up a delay when the client does", func() {
		s.cc.InjectFault(func(*http.Request) (int, string, time.Duration, bool) { return 0, "", time.Hour, true })
		c := &http.Client{Timeout: 50 * time.Millisecond}

		_, err := c.Get(s.server.URL + "/")

		Expect(err).To(HaveOccurred())
	})
})
