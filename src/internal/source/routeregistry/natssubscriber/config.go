package natssubscriber

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
)

// Defaults, gorouter's and routing-release's production values.
const (
	// DefaultMinimumRegisterInterval is routing-release's
	// `router.requested_route_registration_interval_in_seconds`.
	DefaultMinimumRegisterInterval = 20 * time.Second
	// DefaultPruneThreshold is gorouter's `droplet_stale_threshold`.
	DefaultPruneThreshold = 120 * time.Second
	// DefaultServiceDiscoveryPruneThreshold is the
	// service-discovery-controller's `staleness_threshold_seconds`.
	DefaultServiceDiscoveryPruneThreshold = 180 * time.Second
	// DefaultPruneInterval is gorouter's `prune_stale_droplets_interval`.
	DefaultPruneInterval = 30 * time.Second
	// DefaultReconnectWait is the pause between NATS reconnect attempts.
	DefaultReconnectWait = time.Second
	// DefaultHostIP is announced in router.start when HostIP is unset.
	DefaultHostIP = "127.0.0.1"
	// DefaultInstanceID prefixes the router.start id when InstanceID is unset.
	DefaultInstanceID = "copilot"
	// DefaultGreetWindow is half a second longer than route-emitter's 1 s
	// greet retry.
	DefaultGreetWindow = 1500 * time.Millisecond
	// DefaultRouteEmitterJitterFactor is route-emitter's `jitter_factor`.
	DefaultRouteEmitterJitterFactor = 0.2
	// DefaultQuietPeriod is how long the table must stay unchanged before
	// the initial sync can end.
	DefaultQuietPeriod = 2 * time.Second
)

// Config is the NATS subscriber's configuration, rendered by BOSH as JSON.
type Config struct {
	// Servers are NATS URLs, `nats://host:port` or `tls://host:port`.
	Servers []string `json:"servers"`
	// User and Password authenticate to NATS. The password is never logged.
	User     string `json:"user"`
	Password string `json:"password"`
	// CACertFile verifies the NATS server (nats-tls); CertFile and KeyFile
	// are the client certificate it may require. All optional; CertFile and
	// KeyFile go together.
	CACertFile string `json:"ca_cert_file"`
	CertFile   string `json:"cert_file"`
	KeyFile    string `json:"key_file"`
	// HostIP is the copilot's IP, announced in router.start (default
	// 127.0.0.1).
	HostIP string `json:"host_ip"`
	// InstanceID prefixes the router.start id, `<instance_id>-<uuid>`
	// (default "copilot"; BOSH renders `<job>-<index>`).
	InstanceID string `json:"instance_id"`
	// MinimumRegisterInterval is sent in router.start and greet replies:
	// how often route-emitter re-emits (default 20s).
	MinimumRegisterInterval jsonduration.Duration `json:"minimum_register_interval"`
	// PruneThreshold is how long an endpoint lives without being
	// re-registered (default 120s); also sent in router.start.
	PruneThreshold jsonduration.Duration `json:"prune_threshold"`
	// ServiceDiscoveryPruneThreshold is how long an internal route's
	// endpoint (`service-discovery.register`) lives without being
	// re-registered (default 180s, the service-discovery-controller's
	// `staleness_threshold_seconds`); also sent in service-discovery.start.
	//
	// Decision: service-discovery.start asks route-emitter for internal
	// routes every MinimumRegisterInterval, like router.start, so Ready
	// covers them too. A service-discovery-controller on the same NATS asks
	// for every 60 s and whichever announced itself last sets the pace, so
	// this threshold must stay above 60 s; the default allows three misses.
	ServiceDiscoveryPruneThreshold jsonduration.Duration `json:"service_discovery_prune_threshold"`
	// PruneInterval is how often stale endpoints are pruned (default 30s).
	PruneInterval jsonduration.Duration `json:"prune_interval"`
	// GreetWindow is how long after every connect and reconnect the
	// subscriber publishes router.start and service-discovery.start a
	// second time (default 1.5s); it publishes them on connect too.
	//
	// Decision: two starts, the second after a window longer than
	// route-emitter's 1 s greet retry (ADR 16). A route-emitter still in
	// its greet loop first emits one whole interval after whatever ended
	// the loop. The start on connect ends every greet loop, even one whose
	// reply inbox the server's no-responders status used up; one greeting
	// during the window is answered. Either way the second start finds it
	// greeted, and it re-emits within its jitter like every other one. A
	// greeted route-emitter re-emits twice: one more emit per connect.
	GreetWindow jsonduration.Duration `json:"greet_window"`
	// RouteEmitterJitter is the longest a greeted route-emitter sleeps
	// after a start message before it re-emits everything: its
	// jitter_factor × MinimumRegisterInterval (default 0.2 × the interval,
	// route-emitter's default jitter_factor). Raise it if route-emitters
	// run with a larger jitter_factor.
	RouteEmitterJitter jsonduration.Duration `json:"route_emitter_jitter"`
	// QuietPeriod is how long the endpoint table must stay unchanged before
	// the initial sync can end (default 2s): a re-emit of many
	// registrations keeps changing it until the last one is in.
	QuietPeriod jsonduration.Duration `json:"initial_sync_quiet_period"`
	// InitialSyncWait bounds the initial sync, measured from the connect:
	// Ready closes by then even if registrations keep changing the table
	// (default 1.5 × MinimumRegisterInterval, but at least GreetWindow +
	// MinimumRegisterInterval + QuietPeriod). Until then Ready closes as
	// soon as route-emitters have re-emitted (initialSyncEnd).
	//
	// Decision: the initial sync used to be this fixed wait, 1.5 intervals
	// after router.start (30 s by default, the whole cold-start budget);
	// ADR 16 replaces it with the greet window and the quiet rule. The cap
	// keeps the old 1.5 intervals, so churn that never lets the table go
	// quiet holds the copilot back no longer than before. The floor matters
	// only for short test intervals: it leaves a route-emitter that greets
	// right after our start (its first emit comes one interval after our
	// reply) time to be heard.
	InitialSyncWait jsonduration.Duration `json:"initial_sync_wait"`
	// ReconnectWait is the pause between reconnect attempts (default 1s).
	ReconnectWait jsonduration.Duration `json:"reconnect_wait"`
}

// WithDefaults returns c with every unset field set to its default.
func (c Config) WithDefaults() Config {
	setDefault(&c.MinimumRegisterInterval, DefaultMinimumRegisterInterval)
	setDefault(&c.PruneThreshold, DefaultPruneThreshold)
	setDefault(&c.ServiceDiscoveryPruneThreshold, DefaultServiceDiscoveryPruneThreshold)
	setDefault(&c.PruneInterval, DefaultPruneInterval)
	setDefault(&c.GreetWindow, DefaultGreetWindow)
	setDefault(&c.RouteEmitterJitter, time.Duration(DefaultRouteEmitterJitterFactor*float64(c.MinimumRegisterInterval)))
	setDefault(&c.QuietPeriod, DefaultQuietPeriod)
	setDefault(&c.InitialSyncWait, max(c.MinimumRegisterInterval.Std()*3/2,
		c.GreetWindow.Std()+c.MinimumRegisterInterval.Std()+c.QuietPeriod.Std()))
	setDefault(&c.ReconnectWait, DefaultReconnectWait)
	if c.HostIP == "" {
		c.HostIP = DefaultHostIP
	}
	if c.InstanceID == "" {
		c.InstanceID = DefaultInstanceID
	}
	return c
}

func setDefault(d *jsonduration.Duration, def time.Duration) {
	if *d == 0 {
		*d = jsonduration.Duration(def)
	}
}

// Validate checks a configuration after WithDefaults.
func (c Config) Validate() error {
	if len(c.Servers) == 0 {
		return errors.New("servers: at least one NATS server is required")
	}
	for i, server := range c.Servers {
		if err := validateServer(server); err != nil {
			return fmt.Errorf("servers[%d]: %w", i, err)
		}
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("cert_file and key_file: set both or neither")
	}
	if net.ParseIP(c.HostIP) == nil {
		return fmt.Errorf("host_ip: %q is not an IP address", c.HostIP)
	}
	return c.validateTimings()
}

// validateTimings checks the durations and how they relate.
func (c Config) validateTimings() error {
	for _, d := range []struct {
		name  string
		value jsonduration.Duration
	}{
		{"minimum_register_interval", c.MinimumRegisterInterval}, {"prune_threshold", c.PruneThreshold},
		{"service_discovery_prune_threshold", c.ServiceDiscoveryPruneThreshold},
		{"prune_interval", c.PruneInterval}, {"initial_sync_wait", c.InitialSyncWait}, {"reconnect_wait", c.ReconnectWait},
		{"greet_window", c.GreetWindow}, {"route_emitter_jitter", c.RouteEmitterJitter},
		{"initial_sync_quiet_period", c.QuietPeriod},
	} {
		if d.value <= 0 {
			return fmt.Errorf("%s: must be positive, got %s", d.name, d.value)
		}
	}
	if c.MinimumRegisterInterval.Std() < time.Second {
		return fmt.Errorf("minimum_register_interval: must be at least 1s (it is sent in whole seconds), got %s", c.MinimumRegisterInterval)
	}
	if c.InitialSyncWait <= c.GreetWindow {
		return fmt.Errorf("initial_sync_wait (%s) must be longer than greet_window (%s): both count from the connect, and the initial sync waits for the start published after the greet window",
			c.InitialSyncWait, c.GreetWindow)
	}
	for _, threshold := range []struct {
		name  string
		value jsonduration.Duration
	}{{"prune_threshold", c.PruneThreshold}, {"service_discovery_prune_threshold", c.ServiceDiscoveryPruneThreshold}} {
		if threshold.value <= c.MinimumRegisterInterval {
			return fmt.Errorf("%s (%s) must be longer than minimum_register_interval (%s), or every endpoint goes stale between re-registrations",
				threshold.name, threshold.value, c.MinimumRegisterInterval)
		}
	}
	return nil
}

func validateServer(server string) error {
	u, err := url.Parse(server)
	if err != nil {
		return fmt.Errorf("%q is not a URL", redactURL(server))
	}
	if u.Scheme != "nats" && u.Scheme != "tls" {
		return fmt.Errorf("%q: scheme must be nats or tls", redactURL(server))
	}
	if u.Hostname() == "" || u.Port() == "" {
		return fmt.Errorf("%q: want scheme://host:port", redactURL(server))
	}
	return nil
}

// redactURL drops credentials from a server URL so it can be logged.
func redactURL(server string) string {
	u, err := url.Parse(server)
	if err != nil {
		return "<unparseable>"
	}
	if u.User != nil {
		u.User = url.User("redacted")
	}
	return u.String()
}
