package routeregistry

import "time"

// The NATS subjects of gorouter's route-registration protocol.
const (
	// SubjectRegister adds or refreshes an endpoint for every URI.
	SubjectRegister = "router.register"
	// SubjectUnregister removes an endpoint from every URI.
	SubjectUnregister = "router.unregister"
	// SubjectGreet is a request: a router replies with a RouterStart.
	SubjectGreet = "router.greet"
	// SubjectStart is published by a router when it starts and on every
	// NATS reconnect; route-emitter then re-emits all registrations.
	SubjectStart = "router.start"
	// SubjectWildcard matches all of the above.
	SubjectWildcard = "router.*"
)

// The NATS subjects of service discovery for internal routes, between
// route-emitter and the service-discovery-controller (cf-networking-release
// `service-discovery-controller/mbus/subscriber.go`). route-emitter runs a
// second greet-and-re-emit scheduler for them, independent of the routers'.
const (
	// SubjectServiceDiscoveryRegister adds or refreshes a container IP for
	// every internal URI.
	SubjectServiceDiscoveryRegister = "service-discovery.register"
	// SubjectServiceDiscoveryUnregister removes it.
	SubjectServiceDiscoveryUnregister = "service-discovery.unregister"
	// SubjectServiceDiscoveryGreet is route-emitter's request for a
	// ServiceDiscoveryStart; it retries every second until one arrives and
	// only then re-emits internal routes periodically.
	SubjectServiceDiscoveryGreet = "service-discovery.greet"
	// SubjectServiceDiscoveryStart is published by a service-discovery
	// subscriber when it starts and on every NATS reconnect.
	SubjectServiceDiscoveryStart = "service-discovery.start"
	// SubjectServiceDiscoveryWildcard matches all of the above.
	SubjectServiceDiscoveryWildcard = "service-discovery.*"
)

// RouterStart is the `router.start` message and the `router.greet` reply,
// with the JSON encoding of gorouter's `common.RouterStart`. route-emitter
// re-emits its registrations every MinimumRegisterIntervalInSeconds once it
// has received one.
type RouterStart struct {
	// ID identifies the router process: `<stable prefix>-<uuid>`.
	ID string `json:"id"`
	// Hosts are the router's IPs.
	Hosts []string `json:"hosts"`
	// MinimumRegisterIntervalInSeconds is how often registrations must be
	// repeated (gorouter's start_response_delay_interval).
	MinimumRegisterIntervalInSeconds int `json:"minimumRegisterIntervalInSeconds"`
	// PruneThresholdInSeconds is how long an endpoint lives without being
	// re-registered (gorouter's droplet_stale_threshold).
	PruneThresholdInSeconds int `json:"pruneThresholdInSeconds"`
}

// NewRouterStart builds a RouterStart; intervals are rounded down to whole
// seconds, as gorouter does.
func NewRouterStart(id string, hosts []string, registerInterval, pruneThreshold time.Duration) RouterStart {
	return RouterStart{
		ID:                               id,
		Hosts:                            append([]string(nil), hosts...),
		MinimumRegisterIntervalInSeconds: int(registerInterval / time.Second),
		PruneThresholdInSeconds:          int(pruneThreshold / time.Second),
	}
}

// ServiceDiscoveryStart is the `service-discovery.start` message and
// `service-discovery.greet` reply, in the JSON of the
// service-discovery-controller's `ServiceDiscoveryStartMessage`: like
// RouterStart, but with one `host`. route-emitter reads only
// MinimumRegisterIntervalInSeconds.
type ServiceDiscoveryStart struct {
	ID                               string `json:"id"`
	Host                             string `json:"host"`
	MinimumRegisterIntervalInSeconds int    `json:"minimumRegisterIntervalInSeconds"`
	PruneThresholdInSeconds          int    `json:"pruneThresholdInSeconds"`
}

// NewServiceDiscoveryStart builds a ServiceDiscoveryStart; intervals are
// rounded down to whole seconds.
func NewServiceDiscoveryStart(id, host string, registerInterval, pruneThreshold time.Duration) ServiceDiscoveryStart {
	return ServiceDiscoveryStart{
		ID:                               id,
		Host:                             host,
		MinimumRegisterIntervalInSeconds: int(registerInterval / time.Second),
		PruneThresholdInSeconds:          int(pruneThreshold / time.Second),
	}
}
