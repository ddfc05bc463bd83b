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
	// InitialSyncWait is how long after router.start the subscriber waits
	// before it first reports Ready (default 1.5 × MinimumRegisterInterval).
	//
	// Decision: not 1 × the interval. A route-emitter that is already
	// greeted re-emits within 0.2 × the interval of our router.start
	// (jitter), but one still greeting (no gorouter around) starts its
	// ticker on our router.start and re-emits exactly one interval later,
	// which would race with Ready; half an interval more covers that and
	// the time a large emit takes.
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
	setDefault(&c.InitialSyncWait, c.MinimumRegisterInterval.Std()*3/2)
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
	for _, d := range []struct {
		name  string
		value jsonduration.Duration
	}{
		{"minimum_register_interval", c.MinimumRegisterInterval}, {"prune_threshold", c.PruneThreshold},
		{"service_discovery_prune_threshold", c.ServiceDiscoveryPruneThreshold},
		{"prune_interval", c.PruneInterval}, {"initial_sync_wait", c.InitialSyncWait}, {"reconnect_wait", c.ReconnectWait},
	} {
		if d.value <= 0 {
			return fmt.Errorf("%s: must be positive, got %s", d.name, d.value)
		}
	}
	if c.MinimumRegisterInterval.Std() < time.Second {
		return fmt.Errorf("minimum_register_interval: must be at least 1s (it is sent in whole seconds), got %s", c.MinimumRegisterInterval)
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
