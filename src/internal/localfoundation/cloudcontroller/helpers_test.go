package cloudcontroller_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/cloudfoundry/go-cfclient/v3/client"
	"github.com/cloudfoundry/go-cfclient/v3/config"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/cloudcontroller"
)

func ptr[T any](v T) *T { return &v }

// fakeClock is a settable clock for the stand-in's token expiry.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// standIn runs a stand-in on 127.0.0.1 for one test.
type standIn struct {
	cc     *cloudcontroller.CloudController
	server *httptest.Server
}

func startStandIn(opts cloudcontroller.Options) *standIn {
	cc := cloudcontroller.New(opts)
	server := httptest.NewServer(cc)
	cc.SetBaseURL(server.URL)
	return &standIn{cc: cc, server: server}
}

func (s *standIn) Close() { s.server.Close() }

// cfClient builds the real go-cfclient against the stand-in.
func (s *standIn) cfClient(clientID, secret string) *client.Client {
	cfg, err := config.New(s.server.URL, config.ClientCredentials(clientID, secret), config.RequestTimeout(5*time.Second))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	c, err := client.New(cfg)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return c
}

func (s *standIn) goodClient() *client.Client {
	id, secret := s.cc.ClientCredentials()
	return s.cfClient(id, secret)
}

// do sends a raw request and returns the status and decoded JSON body.
func (s *standIn) do(method, path, token, body string) (int, map[string]any) {
	req, err := http.NewRequest(method, s.server.URL+path, strings.NewReader(body))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	if token != "" {
		req.Header.Set("Authorization", "bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	var decoded map[string]any
	ExpectWithOffset(1, json.Unmarshal(data, &decoded)).To(Succeed(), string(data))
	return resp.StatusCode, decoded
}

// token fetches an access token with the client_credentials grant, the
// client in HTTP basic auth.
func (s *standIn) token() string {
	id, secret := s.cc.ClientCredentials()
	req, err := http.NewRequest(http.MethodPost, s.server.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	ExpectWithOffset(1, resp.StatusCode).To(Equal(http.StatusOK))
	var body struct {
		AccessToken string `json:"access_token"`
	}
	ExpectWithOffset(1, json.NewDecoder(resp.Body).Decode(&body)).To(Succeed())
	return body.AccessToken
}

func testContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// firstError digs out Cloud Controller's first error entry from a raw
// response body.
func firstError(body map[string]any) map[string]any {
	errs, ok := body["errors"].([]any)
	ExpectWithOffset(1, ok).To(BeTrue(), "no errors list in %v", body)
	ExpectWithOffset(1, errs).To(HaveLen(1))
	return errs[0].(map[string]any)
}

// startServer serves cc without telling it its URL.
func startServer(cc *cloudcontroller.CloudController) *httptest.Server {
	return httptest.NewServer(cc)
}
