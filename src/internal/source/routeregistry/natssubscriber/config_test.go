package natssubscriber_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
)

var _ = Describe("Config", func() {
	valid := func() natssubscriber.Config {
		return natssubscriber.Config{Servers: []string{"nats://nats.service.cf.internal:4222"}}.WithDefaults()
	}

	It("has gorouter's defaults", func() {
		cfg := valid()
		Expect(cfg.MinimumRegisterInterval.Std()).To(Equal(20 * time.Second))
		Expect(cfg.PruneThreshold.Std()).To(Equal(120 * time.Second))
		Expect(cfg.ServiceDiscoveryPruneThreshold.Std()).To(Equal(180*time.Second), "the service-discovery-controller's staleness threshold")
		Expect(cfg.PruneInterval.Std()).To(Equal(30 * time.Second))
		Expect(cfg.InitialSyncWait.Std()).To(Equal(30*time.Second), "1.5 register intervals")
		Expect(cfg.GreetWindow.Std()).To(Equal(1500*time.Millisecond), "longer than route-emitter's 1s greet retry")
		Expect(cfg.RouteEmitterJitter.Std()).To(Equal(4*time.Second), "route-emitter's jitter_factor 0.2 × the interval")
		Expect(cfg.QuietPeriod.Std()).To(Equal(2 * time.Second))
		Expect(cfg.ReconnectWait.Std()).To(Equal(time.Second))
		Expect(cfg.HostIP).To(Equal("127.0.0.1"))
		Expect(cfg.InstanceID).To(Equal("copilot"))
		Expect(cfg.Validate()).To(Succeed())
	})

	It("derives the initial sync wait and the route-emitter jitter from a configured interval", func() {
		cfg := natssubscriber.Config{MinimumRegisterInterval: jsonduration.Duration(10 * time.Second)}.WithDefaults()
		Expect(cfg.InitialSyncWait.Std()).To(Equal(15 * time.Second))
		Expect(cfg.RouteEmitterJitter.Std()).To(Equal(2 * time.Second))
	})

	It("by default waits at most long enough for a route-emitter that greets right after the start, even at short intervals", func() {
		cfg := natssubscriber.Config{MinimumRegisterInterval: jsonduration.Duration(time.Second)}.WithDefaults()
		Expect(cfg.InitialSyncWait.Std()).To(Equal(4500*time.Millisecond), "greet window 1.5s + interval 1s + quiet 2s, not 1.5s")
		Expect(cfg.RouteEmitterJitter.Std()).To(Equal(200 * time.Millisecond))

		cfg = natssubscriber.Config{
			MinimumRegisterInterval: jsonduration.Duration(time.Second), GreetWindow: jsonduration.Duration(100 * time.Millisecond),
			QuietPeriod: jsonduration.Duration(200 * time.Millisecond),
		}.WithDefaults()
		Expect(cfg.InitialSyncWait.Std()).To(Equal(1500 * time.Millisecond))
	})

	It("reads the JSON BOSH renders", func() {
		var cfg natssubscriber.Config
		Expect(json.Unmarshal([]byte(`{
			"servers": ["tls://nats.service.cf.internal:4224"],
			"user": "nats", "password": "secret",
			"ca_cert_file": "/ca", "cert_file": "/cert", "key_file": "/key",
			"host_ip": "10.0.1.2", "instance_id": "copilot-1",
			"minimum_register_interval": "10s", "prune_threshold": "1m", "prune_interval": "15s",
			"service_discovery_prune_threshold": "3m",
			"initial_sync_wait": "25s", "reconnect_wait": "500ms",
			"greet_window": "2s", "route_emitter_jitter": "3s", "initial_sync_quiet_period": "1500ms"
		}`), &cfg)).To(Succeed())
		Expect(cfg).To(Equal(natssubscriber.Config{
			Servers: []string{"tls://nats.service.cf.internal:4224"}, User: "nats", Password: "secret",
			CACertFile: "/ca", CertFile: "/cert", KeyFile: "/key", HostIP: "10.0.1.2", InstanceID: "copilot-1",
			MinimumRegisterInterval:        jsonduration.Duration(10 * time.Second),
			PruneThreshold:                 jsonduration.Duration(time.Minute),
			PruneInterval:                  jsonduration.Duration(15 * time.Second),
			ServiceDiscoveryPruneThreshold: jsonduration.Duration(3 * time.Minute),
			InitialSyncWait:                jsonduration.Duration(25 * time.Second),
			ReconnectWait:                  jsonduration.Duration(500 * time.Millisecond),
			GreetWindow:                    jsonduration.Duration(2 * time.Second),
			RouteEmitterJitter:             jsonduration.Duration(3 * time.Second),
			QuietPeriod:                    jsonduration.Duration(1500 * time.Millisecond),
		}))
		encoded, err := json.Marshal(cfg.MinimumRegisterInterval)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(encoded)).To(Equal(`"10s"`))
	})

	DescribeTable("rejects bad durations in JSON",
		func(payload string) {
			var cfg natssubscriber.Config
			Expect(json.Unmarshal([]byte(payload), &cfg)).To(MatchError(ContainSubstring("duration")))
		},
		Entry("a number", `{"prune_threshold": 120}`),
		Entry("not a duration", `{"prune_threshold": "two minutes"}`),
	)

	DescribeTable("Validate names the offending field",
		func(mutate func(*natssubscriber.Config), field string) {
			cfg := valid()
			mutate(&cfg)
			Expect(cfg.Validate()).To(MatchError(ContainSubstring(field)))
		},
		Entry("no servers", func(c *natssubscriber.Config) { c.Servers = nil }, "servers"),
		Entry("bad scheme", func(c *natssubscriber.Config) { c.Servers = []string{"http://nats:4222"} }, "servers[0]"),
		Entry("no port", func(c *natssubscriber.Config) { c.Servers = []string{"nats://nats"} }, "servers[0]"),
		Entry("cert without key", func(c *natssubscriber.Config) { c.CertFile = "/cert" }, "key_file"),
		Entry("host_ip not an IP", func(c *natssubscriber.Config) { c.HostIP = "copilot.internal" }, "host_ip"),
		Entry("negative prune interval", func(c *natssubscriber.Config) { c.PruneInterval = -1 }, "prune_interval"),
		Entry("sub-second register interval", func(c *natssubscriber.Config) {
			c.MinimumRegisterInterval = jsonduration.Duration(500 * time.Millisecond)
		}, "minimum_register_interval"),
		Entry("threshold not above the interval", func(c *natssubscriber.Config) {
			c.PruneThreshold = jsonduration.Duration(20 * time.Second)
		}, "prune_threshold"),
		Entry("internal threshold not above the interval", func(c *natssubscriber.Config) {
			c.ServiceDiscoveryPruneThreshold = jsonduration.Duration(20 * time.Second)
		}, "service_discovery_prune_threshold"),
		Entry("negative greet window", func(c *natssubscriber.Config) { c.GreetWindow = -1 }, "greet_window: must be positive"),
		Entry("no route-emitter jitter", func(c *natssubscriber.Config) { c.RouteEmitterJitter = 0 }, "route_emitter_jitter: must be positive"),
		Entry("no quiet period", func(c *natssubscriber.Config) { c.QuietPeriod = 0 }, "initial_sync_quiet_period: must be positive"),
		Entry("initial sync wait within the greet window", func(c *natssubscriber.Config) {
			c.InitialSyncWait, c.GreetWindow = jsonduration.Duration(time.Second), jsonduration.Duration(time.Second)
		}, "initial_sync_wait (1s) must be longer than greet_window (1s)"),
	)

	It("never puts credentials from a server URL into an error", func() {
		cfg := valid()
		cfg.Servers = []string{"http://nats:hunter2@nats:4222"}
		err := cfg.Validate()
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).NotTo(ContainSubstring("hunter2"))
	})

	Describe("New", func() {
		It("rejects an invalid config", func() {
			_, err := natssubscriber.New(natssubscriber.Config{}, lagertest.NewTestLogger("test"), nil, nil)
			Expect(err).To(MatchError(ContainSubstring("servers")))
		})

		It("reports unreadable TLS files by name", func() {
			dir := GinkgoT().TempDir()
			cfg := valid()
			cfg.CACertFile = filepath.Join(dir, "missing-ca.crt")
			_, err := natssubscriber.New(cfg, lagertest.NewTestLogger("test"), nil, nil)
			Expect(err).To(MatchError(ContainSubstring("ca_cert_file")))

			Expect(os.WriteFile(filepath.Join(dir, "ca.crt"), []byte("not a certificate"), 0o600)).To(Succeed())
			cfg.CACertFile = filepath.Join(dir, "ca.crt")
			_, err = natssubscriber.New(cfg, lagertest.NewTestLogger("test"), nil, nil)
			Expect(err).To(MatchError(ContainSubstring("no PEM certificate")))

			cfg.CACertFile = ""
			cfg.CertFile, cfg.KeyFile = filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.crt")
			_, err = natssubscriber.New(cfg, lagertest.NewTestLogger("test"), nil, nil)
			Expect(err).To(MatchError(ContainSubstring("cert_file")))
		})
	})
})
