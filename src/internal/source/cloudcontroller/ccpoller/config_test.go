package ccpoller_test

import (
	"bytes"
	"encoding/json"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller/ccpoller"
)

func validConfig() ccpoller.Config {
	return ccpoller.Config{APIURL: "https://api.sys.example.com", ClientID: "copilot", ClientSecret: "secret"}
}

var _ = Describe("Config", func() {
	It("reads the JSON BOSH renders, durations as strings", func() {
		data := []byte(`{
			"api_url": "https://api.sys.example.com",
			"client_id": "copilot",
			"client_secret": "secret",
			"ca_cert_file": "/var/vcap/jobs/copilot/config/certs/cc_ca.crt",
			"skip_tls_validation": false,
			"event_poll_interval": "500ms",
			"full_sync_interval": "10m",
			"event_lookback": "3s",
			"request_timeout": "1m30s",
			"per_page": 1000
		}`)
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var cfg ccpoller.Config

		Expect(dec.Decode(&cfg)).To(Succeed())

		Expect(cfg).To(Equal(ccpoller.Config{
			APIURL: "https://api.sys.example.com", ClientID: "copilot", ClientSecret: "secret",
			CACertFile:        "/var/vcap/jobs/copilot/config/certs/cc_ca.crt",
			EventPollInterval: jsonduration.Duration(500 * time.Millisecond), FullSyncInterval: jsonduration.Duration(10 * time.Minute),
			EventLookback:  jsonduration.Duration(3 * time.Second),
			RequestTimeout: jsonduration.Duration(90 * time.Second),
			PerPage:        1000,
		}))
		Expect(cfg.Validate()).To(Succeed())
	})

	It("still reads poll_interval, the old name of full_sync_interval", func() {
		var cfg ccpoller.Config
		Expect(json.Unmarshal([]byte(`{"poll_interval": "15s"}`), &cfg)).To(Succeed())
		Expect(cfg.WithDefaults().FullSyncInterval).To(Equal(jsonduration.Duration(15 * time.Second)))
		Expect(cfg.WithDefaults().EventPollInterval).To(Equal(jsonduration.Duration(time.Second)))
	})

	It("writes durations back as strings, and no poll_interval when unset", func() {
		data, err := json.Marshal(ccpoller.Config{FullSyncInterval: jsonduration.Duration(10 * time.Second)})
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(ContainSubstring(`"full_sync_interval":"10s"`))
		Expect(string(data)).NotTo(ContainSubstring(`"poll_interval"`))
	})

	It("reads an empty duration as the default", func() {
		var cfg ccpoller.Config
		Expect(json.Unmarshal([]byte(`{"full_sync_interval": ""}`), &cfg)).To(Succeed())
		Expect(cfg.WithDefaults().FullSyncInterval).To(Equal(jsonduration.Duration(5 * time.Minute)))
	})

	It("fills documented defaults", func() {
		cfg := validConfig().WithDefaults()
		Expect(cfg.EventPollInterval).To(Equal(jsonduration.Duration(ccpoller.DefaultEventPollInterval)))
		Expect(cfg.FullSyncInterval).To(Equal(jsonduration.Duration(ccpoller.DefaultFullSyncInterval)))
		Expect(cfg.EventLookback).To(Equal(jsonduration.Duration(5 * time.Second)))
		Expect(cfg.RequestTimeout).To(Equal(jsonduration.Duration(30 * time.Second)))
		Expect(cfg.PerPage).To(Equal(5000))
		Expect(cfg.Validate()).To(Succeed())
	})

	It("keeps values that are set", func() {
		cfg := validConfig()
		cfg.EventPollInterval = jsonduration.Duration(2 * time.Second)
		cfg.FullSyncInterval = jsonduration.Duration(time.Minute)
		cfg.PerPage = 10
		Expect(cfg.WithDefaults().EventPollInterval).To(Equal(jsonduration.Duration(2 * time.Second)))
		Expect(cfg.WithDefaults().FullSyncInterval).To(Equal(jsonduration.Duration(time.Minute)))
		Expect(cfg.WithDefaults().PerPage).To(Equal(10))
	})

	DescribeTable("Validate names each problem",
		func(change func(*ccpoller.Config), message string) {
			cfg := validConfig()
			change(&cfg)
			Expect(cfg.Validate()).To(MatchError(message))
		},
		Entry("no api_url", func(c *ccpoller.Config) { c.APIURL = "" }, "api_url is required"),
		Entry("a relative api_url", func(c *ccpoller.Config) { c.APIURL = "api.example.com" }, `api_url "api.example.com" must be an http or https URL`),
		Entry("an api_url without host", func(c *ccpoller.Config) { c.APIURL = "https://" }, `api_url "https://" has no host`),
		Entry("credentials in api_url", func(c *ccpoller.Config) { c.APIURL = "https://admin:pw@api.example.com" },
			"api_url must not carry credentials; use client_id and client_secret"),
		Entry("a query in api_url", func(c *ccpoller.Config) { c.APIURL = "https://api.example.com?x=1" }, `api_url "https://api.example.com?x=1" must not have a query or fragment`),
		Entry("no client_id", func(c *ccpoller.Config) { c.ClientID = " " }, "client_id is required"),
		Entry("no client_secret", func(c *ccpoller.Config) { c.ClientSecret = "" }, "client_secret is required"),
		Entry("a negative event_poll_interval", func(c *ccpoller.Config) { c.EventPollInterval = jsonduration.Duration(-time.Second) }, "event_poll_interval -1s must be positive"),
		Entry("a negative full_sync_interval", func(c *ccpoller.Config) { c.FullSyncInterval = jsonduration.Duration(-time.Second) }, "full_sync_interval -1s must be positive"),
		Entry("a full_sync_interval above a day", func(c *ccpoller.Config) { c.FullSyncInterval = jsonduration.Duration(25 * time.Hour) }, "full_sync_interval 25h0m0s must be at most 24h"),
		Entry("a negative poll_interval", func(c *ccpoller.Config) { c.PollInterval = jsonduration.Duration(-time.Second) }, "poll_interval -1s must be positive"),
		Entry("poll_interval and a different full_sync_interval", func(c *ccpoller.Config) {
			c.PollInterval, c.FullSyncInterval = jsonduration.Duration(time.Second), jsonduration.Duration(time.Minute)
		}, "poll_interval is the deprecated name of full_sync_interval; set only full_sync_interval"),
		Entry("an event_lookback above a minute", func(c *ccpoller.Config) { c.EventLookback = jsonduration.Duration(2 * time.Minute) }, "event_lookback 2m0s must be at most 1m"),
		Entry("a negative request_timeout", func(c *ccpoller.Config) { c.RequestTimeout = jsonduration.Duration(-time.Second) }, "request_timeout -1s must be positive"),
		Entry("per_page above 5000", func(c *ccpoller.Config) { c.PerPage = 5001 }, "per_page 5001 must be between 1 and 5000"),
		Entry("several problems", func(c *ccpoller.Config) { c.ClientID = ""; c.PerPage = -1 },
			"client_id is required\nper_page -1 must be between 1 and 5000"),
	)
})
