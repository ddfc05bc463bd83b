package policyserver_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/pki"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/policyserver"
	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/networkpolicy"
)

const (
	appA = "4a2d3627-0b8c-42d1-9563-22696eedc05d"
	appB = "eb95ff20-cba8-4edc-8f4a-cf80d0669faf"
	appC = "b611f7e6-c8fe-41cb-b150-92581aafa5c2"
)

var _ = Describe("the policy server stand-in", func() {
	var (
		clientCA *pki.CA
		server   *policyserver.Server
	)

	// clientFor is an HTTP client presenting a certificate issued by ca
	// (none when ca is nil) and trusting the stand-in's CA.
	clientFor := func(ca *pki.CA) *http.Client {
		roots := x509.NewCertPool()
		Expect(roots.AppendCertsFromPEM(server.CAPEM())).To(BeTrue())
		cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		if ca != nil {
			certPEM, keyPEM, err := ca.Issue("copilot")
			Expect(err).NotTo(HaveOccurred())
			cert, err := tls.X509KeyPair(certPEM, keyPEM)
			Expect(err).NotTo(HaveOccurred())
			cfg.Certificates = []tls.Certificate{cert}
		}
		return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
	}

	get := func(c *http.Client, query string) (int, []byte, error) {
		resp, err := c.Get(server.URL() + policyserver.PoliciesPath + query)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, body, err
	}

	BeforeEach(func() {
		var err error
		clientCA, err = pki.NewCA("network policy CA")
		Expect(err).NotTo(HaveOccurred())
		server, err = policyserver.Start(policyserver.Options{ClientCAPEM: clientCA.PEM})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(server.Close)
		Expect(server.AddPolicy(policyserver.Policy{SourceAppGUID: appA, DestinationAppGUID: appB, StartPort: 8080})).To(BeTrue())
		Expect(server.AddPolicy(policyserver.Policy{SourceAppGUID: appC, DestinationAppGUID: appC, Protocol: "udp", StartPort: 5555, EndPort: 6666})).To(BeTrue())
	})

	It("lists policies in the policy server's JSON shape, with tags", func() {
		status, body, err := get(clientFor(clientCA), "")
		Expect(err).NotTo(HaveOccurred())
		Expect(status).To(Equal(http.StatusOK))
		Expect(body).To(MatchJSON(`{"total_policies":2,"policies":[
			{"source":{"id":"` + appA + `","tag":"0001"},"destination":{"id":"` + appB + `","tag":"0002","protocol":"tcp","ports":{"start":8080,"end":8080}}},
			{"source":{"id":"` + appC + `","tag":"0003"},"destination":{"id":"` + appC + `","tag":"0003","protocol":"udp","ports":{"start":5555,"end":6666}}}]}`))
		policies, rejected, err := networkpolicy.Decode(body)
		Expect(err).NotTo(HaveOccurred())
		Expect(rejected).To(BeEmpty())
		Expect(policies).To(HaveLen(2))
	})

	It("filters by id, matching sources and destinations, as the real handler does", func() {
		c := clientFor(clientCA)
		_, body, err := get(c, "?id="+url.QueryEscape(appB+",00000000-0000-0000-0000-000000000000"))
		Expect(err).NotTo(HaveOccurred())
		policies, _, err := networkpolicy.Decode(body)
		Expect(err).NotTo(HaveOccurred())
		Expect(policies).To(Equal(source.NetworkPolicies{{SourceAppGUID: appA, DestinationAppGUID: appB, Protocol: "tcp", StartPort: 8080, EndPort: 8080}}))
		_, body, err = get(c, "?id=")
		Expect(err).NotTo(HaveOccurred())
		Expect(body).To(MatchJSON(`{"total_policies":0,"policies":[]}`))
	})

	It("adds and removes policies", func() {
		Expect(server.AddPolicy(policyserver.Policy{SourceAppGUID: appA, DestinationAppGUID: appB, Protocol: "tcp", StartPort: 8080, EndPort: 8080})).To(BeFalse(), "already there")
		Expect(server.RemovePolicy(policyserver.Policy{SourceAppGUID: appA, DestinationAppGUID: appB, StartPort: 8080})).To(BeTrue())
		Expect(server.RemovePolicy(policyserver.Policy{SourceAppGUID: appA, DestinationAppGUID: appB, StartPort: 8080})).To(BeFalse())
		Expect(server.Policies()).To(HaveLen(1))
		_, body, err := get(clientFor(clientCA), "")
		Expect(err).NotTo(HaveOccurred())
		policies, _, err := networkpolicy.Decode(body)
		Expect(err).NotTo(HaveOccurred())
		Expect(policies).To(HaveLen(1))
		Expect(policies[0].SourceAppGUID).To(Equal(appC))
	})

	It("serves entries the real server would refuse, for decoders to reject", func() {
		server.AddPolicy(policyserver.Policy{SourceAppGUID: "not-a-guid", DestinationAppGUID: appB, Protocol: "icmp", StartPort: 0})
		_, body, err := get(clientFor(clientCA), "")
		Expect(err).NotTo(HaveOccurred())
		_, rejected, err := networkpolicy.Decode(body)
		Expect(err).NotTo(HaveOccurred())
		Expect(rejected).To(HaveLen(1))
	})

	It("refuses a client without a certificate, and one whose certificate another CA signed", func() {
		_, _, err := get(clientFor(nil), "")
		Expect(err).To(HaveOccurred())
		other, err := pki.NewCA("another CA")
		Expect(err).NotTo(HaveOccurred())
		_, _, err = get(clientFor(other), "")
		Expect(err).To(HaveOccurred())
		Expect(server.Requests()).To(BeZero(), "nothing got past the handshake")
	})

	It("answers 404 off the policy list", func() {
		resp, err := clientFor(clientCA).Get(server.URL() + "/networking/v1/internal/tags")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
	})

	It("fails with the policy server's error JSON until it recovers", func() {
		c := clientFor(clientCA)
		server.Fail(0)
		status, body, err := get(c, "")
		Expect(err).NotTo(HaveOccurred())
		Expect(status).To(Equal(http.StatusInternalServerError))
		var e map[string]string
		Expect(json.Unmarshal(body, &e)).To(Succeed())
		Expect(e).To(HaveKeyWithValue("error", "database read failed"))
		server.Fail(http.StatusServiceUnavailable)
		status, _, _ = get(c, "")
		Expect(status).To(Equal(http.StatusServiceUnavailable))
		server.Recover()
		status, _, _ = get(c, "")
		Expect(status).To(Equal(http.StatusOK))
	})

	It("hangs until the client gives up, and serves held requests once it recovers", func() {
		c := clientFor(clientCA)
		server.Hang()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, server.URL()+policyserver.PoliciesPath, nil)
		Expect(err).NotTo(HaveOccurred())
		_, err = c.Do(req)
		Expect(errors.Is(err, context.DeadlineExceeded)).To(BeTrue(), "%v", err)

		done := make(chan int, 1)
		go func() {
			defer GinkgoRecover()
			status, _, err := get(c, "")
			Expect(err).NotTo(HaveOccurred())
			done <- status
		}()
		Eventually(server.Requests, 5*time.Second).Should(Equal(2))
		Consistently(done, 100*time.Millisecond).ShouldNot(Receive())
		server.Recover()
		Eventually(done, 5*time.Second).Should(Receive(Equal(http.StatusOK)))
	})

	It("releases held requests when it closes", func() {
		server.Hang()
		done := make(chan error, 1)
		go func() {
			_, _, err := get(clientFor(clientCA), "")
			done <- err
		}()
		Eventually(server.Requests, 5*time.Second).Should(Equal(1))
		server.Close()
		Eventually(done, 5*time.Second).Should(Receive())
	})

	It("refuses to start without a client CA", func() {
		_, err := policyserver.Start(policyserver.Options{})
		Expect(err).To(MatchError(ContainSubstring("ClientCAPEM holds no PEM certificate")))
	})
})
