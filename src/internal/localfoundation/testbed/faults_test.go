package testbed_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/testbed"
)

var _ = Describe("Cloud Controller outage", func() {
	var (
		server     *httptest.Server
		foundation *testbed.Foundation
		client     *http.Client
	)

	// get asks for the API root; 0 means the client gave up.
	get := func(path string) int {
		resp, err := client.Get(server.URL + path)
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}

	BeforeEach(func() {
		cc := cloudcontroller.New(cloudcontroller.Options{})
		server = httptest.NewServer(cc)
		DeferCleanup(server.Close)
		foundation = testbed.NewFoundationAround(cc, testbed.Options{CCRequestTimeout: 100 * time.Millisecond})
		client = &http.Client{Timeout: 150 * time.Millisecond}
	})

	It("answers 500s and hangs past the request timeout, in turn, then nothing once its window passed", func() {
		outage := foundation.CloudControllerOutage(time.Second)
		Expect(get("/")).To(Equal(http.StatusInternalServerError))
		Expect(get("/")).To(BeZero(), "hangs past the client's timeout")
		Expect(get("/")).To(Equal(http.StatusInternalServerError))
		errors, hangs := outage.Answered()
		Expect(errors).To(BeEquivalentTo(2))
		Expect(hangs).To(BeEquivalentTo(1))
		Eventually(outage.Done(), 5*time.Second).Should(BeClosed())
		Expect(get("/")).To(Equal(http.StatusOK))
	})

	It("leaves UAA's token endpoint alone", func() {
		outage := foundation.CloudControllerOutage(time.Minute)
		DeferCleanup(outage.End)
		resp, err := client.Post(server.URL+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader("grant_type=password"))
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusBadRequest), "UAA's own answer to an unsupported grant")
	})

	It("stops failing when ended early", func() {
		outage := foundation.CloudControllerOutage(time.Hour)
		outage.End()
		Expect(outage.Done()).To(BeClosed())
		Expect(get("/")).To(Equal(http.StatusOK))
	})
})
