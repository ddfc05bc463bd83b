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
