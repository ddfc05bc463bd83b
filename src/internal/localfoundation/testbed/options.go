package testbed

import (
	"errors"
	"fmt"
	"time"

	"code.cloudfoundry.org/lager/v3"
)

// Defaults for Options left zero. They are the production values scaled
// down so that a suite sees registrations, pruning and Cloud Controller
// changes within seconds.
const (
	DefaultAppsDomain       = "apps.local"
	DefaultInternalDomain   = "apps.internal"
	DefaultRegisterInterval = 2 * time.Second
	DefaultPruneThreshold   = 10 * time.Second
	DefaultCCEventPoll      = 200 * time.Millisecond
	DefaultCCFullSync       = 30 * time.Second
	DefaultCCRequestTimeout = 2 * time.Second
	DefaultReadyTimeout     = 60 * time.Second
	// DefaultContainerPort is the port Cloud Controller gives buildpack
	// apps' destinations, and so the port their instances listen on.
	DefaultContainerPort = 8080
)

// Options configure a Foundation.
type Options struct {
	// WorkDir receives configuration files, certificates and process logs.
	// Required.
	WorkDir string
	// BinDir holds the copilot and pilot binaries (see Build). Required.
	BinDir string
	// AppsDomain is the shared domain routes reach through the gateway;
	// default DefaultAppsDomain.
	AppsDomain string
	// InternalDomain is the mesh-only (service discovery) domain; default
	// DefaultInternalDomain.
	InternalDomain string
	// RegisterInterval is how often the copilot asks route-emitter to
	// re-emit (minimum_register_interval); default DefaultRegisterInterval.
	RegisterInterval time.Duration
	// PruneThreshold is how long a registration lives without a re-emit;
	// default DefaultPruneThreshold. It must exceed RegisterInterval.
	PruneThreshold time.Duration
	// CCEventPoll, CCFullSync and CCRequestTimeout tune the copilot's Cloud
	// Controller poller (event_poll_interval, full_sync_interval,
	// request_timeout); defaults DefaultCCEventPoll, DefaultCCFullSync,
	// DefaultCCRequestTimeout.
	CCEventPoll, CCFullSync, CCRequestTimeout time.Duration
	// ContainerPort is the port every app instance listens on (on its own
	// loopback address) and every destination MapRoute creates names;
	// default DefaultContainerPort. When it is taken, Start picks a free
	// port instead and says so in its log.
	ContainerPort uint32
	// ReadyTimeout bounds the wait for a process's /readyz; default
	// DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// Envoy is the envoy binary for the ingress gateway. Empty looks one up
	// on PATH; without one the foundation runs no gateway (GatewaySkipped
	// says why).
	Envoy string
	// Logger receives the harness's own log lines; nil discards them.
	Logger lager.Logger
}

// WithDefaults fills the zero fields.
func (o Options) WithDefaults() Options {
	defaultString(&o.AppsDomain, DefaultAppsDomain)
	defaultString(&o.InternalDomain, DefaultInternalDomain)
	defaultDuration(&o.RegisterInterval, DefaultRegisterInterval)
	defaultDuration(&o.PruneThreshold, DefaultPruneThreshold)
	defaultDuration(&o.CCEventPoll, DefaultCCEventPoll)
	defaultDuration(&o.CCFullSync, DefaultCCFullSync)
	defaultDuration(&o.CCRequestTimeout, DefaultCCRequestTimeout)
	defaultDuration(&o.ReadyTimeout, DefaultReadyTimeout)
	if o.ContainerPort == 0 {
		o.ContainerPort = DefaultContainerPort
	}
	if o.Logger == nil {
		o.Logger = lager.NewLogger("testbed")
	}
	return o
}

// Validate names every problem.
func (o Options) Validate() error {
	var errs []error
	if o.WorkDir == "" {
		errs = append(errs, errors.New("work directory: required"))
	}
	if o.BinDir == "" {
		errs = append(errs, errors.New("binary directory: required (see Build)"))
	}
	if o.AppsDomain == o.InternalDomain {
		errs = append(errs, fmt.Errorf("apps domain and internal domain are both %q", o.AppsDomain))
	}
	for name, d := range map[string]time.Duration{
		"register interval": o.RegisterInterval, "prune threshold": o.PruneThreshold,
		"cc event poll": o.CCEventPoll, "cc full sync": o.CCFullSync,
		"cc request timeout": o.CCRequestTimeout, "ready timeout": o.ReadyTimeout,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s %s: must not be negative", name, d))
		}
	}
	if o.ContainerPort > 65535 {
		errs = append(errs, fmt.Errorf("container port %d: not a port", o.ContainerPort))
	}
	if o.PruneThreshold != 0 && o.PruneThreshold <= o.RegisterInterval {
		errs = append(errs, fmt.Errorf("prune threshold %s must exceed the register interval %s", o.PruneThreshold, o.RegisterInterval))
	}
	return errors.Join(errs...)
}

func defaultString(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

func defaultDuration(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}
