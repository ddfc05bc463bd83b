package routeregistry

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
)

// Registration is one `router.register` or `router.unregister` message, in
// gorouter's wire format (`mbus.RegistryMessage`). route-emitter sends it
// for every app instance and route, route_registrar for platform
// components (api, uaa, login), with pointer ports and without `app`.
type Registration struct {
	// Host is the backend address: the cell IP for route-emitter's default
	// registrations, the container IP for direct-instance ones.
	Host string `json:"host"`
	// Port is the plain HTTP port; 0 when the backend registers TLS only.
	Port uint16 `json:"port"`
	// TLSPort is the port of the instance's TLS proxy. When set, gorouter
	// prefers it, dials TLS and never prunes the endpoint by staleness.
	TLSPort uint16 `json:"tls_port,omitempty"`
	// URIs are the routes (`host.domain[/path]`) the backend serves.
	URIs []string `json:"uris"`
	// App is the Cloud Controller app GUID; empty for route_registrar.
	App string `json:"app,omitempty"`
	// PrivateInstanceID is the instance GUID.
	PrivateInstanceID string `json:"private_instance_id,omitempty"`
	// PrivateInstanceIndex is the instance index, as a string (`"0"`).
	PrivateInstanceIndex string `json:"private_instance_index,omitempty"`
	// ServerCertDomainSAN is the SAN to verify on a TLS backend (the
	// instance GUID for route-emitter).
	ServerCertDomainSAN string `json:"server_cert_domain_san,omitempty"`
	// RouteServiceURL is the route service bound to the route, https only.
	RouteServiceURL string `json:"route_service_url,omitempty"`
	// Tags are free-form; route-emitter sends CC's metric tags (app_id,
	// process_id, process_type, ...) plus `component: route-emitter`.
	Tags map[string]string `json:"tags"`
	// StaleThresholdInSeconds shortens the stale threshold for this
	// endpoint; 0 (or more than the router's threshold) means the default.
	StaleThresholdInSeconds int `json:"stale_threshold_in_seconds,omitempty"`
	// IsolationSegment is the isolation segment of the cell.
	IsolationSegment string `json:"isolation_segment,omitempty"`
	// EndpointUpdatedAtNs is when the endpoint last changed, unix ns; only
	// sent when route-emitter is configured to.
	EndpointUpdatedAtNs int64 `json:"endpoint_updated_at_ns,omitempty"`
	// AvailabilityZone is the AZ of the cell or VM.
	AvailabilityZone string `json:"availability_zone,omitempty"`
	// Protocol is `http1` or `http2`; empty means `http1`.
	Protocol string `json:"protocol,omitempty"`
	// Options are the route options Cloud Controller passes through.
	Options RegistrationOptions `json:"options,omitzero"`
	// AllowedSources lists who may call the route on an RFC-0055 mTLS
	// domain (route_registrar only).
	AllowedSources *AllowedSources `json:"allowed_sources,omitempty"`
}

// RegistrationOptions is the `options` object. gorouter reads
// `loadbalancing` (and `hash_header`, `hash_balance` for hash balancing);
// Cloud Controller may add more keys, so the raw object is kept as well.
type RegistrationOptions struct {
	// LoadBalancing is `loadbalancing`: `round-robin`, `least-connection`
	// or `hash`; empty when unset.
	LoadBalancing string
	// HashHeader is `hash_header`, the request header hash balancing uses.
	HashHeader string
	// Raw is the whole object as received, in the canonical form
	// encoding/json writes (compacted, HTML-escaped), so a decoded
	// registration encodes and decodes to itself; nil when absent.
	Raw json.RawMessage
}

// AllowedSources is route_registrar's `allowed_sources` (RFC-0055).
type AllowedSources struct {
	Apps   []string `json:"apps,omitempty"`
	Spaces []string `json:"spaces,omitempty"`
	Orgs   []string `json:"orgs,omitempty"`
	Any    bool     `json:"any,omitempty"`
}

// ValidationError says which field of a registration is unacceptable.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string {
	return e.Field + ": " + e.Reason
}

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// DecodeRegistration parses and validates one `router.register` or
// `router.unregister` payload. It accepts what gorouter accepts and
// rejects, with an error naming the field, what gorouter would drop or could
// never route (see Validate), payloads over MaxPayloadBytes (checked before
// parsing) and anything that is not JSON. The strings of the result share
// one copy of the payload; clone those you keep for long on their own.
func DecodeRegistration(data []byte) (Registration, error) {
	return decodeValidRegistration(data, nil)
}

func decodeValidRegistration(data []byte, spare *spares) (Registration, error) {
	if err := checkPayloadSize(data); err != nil {
		return Registration{}, fmt.Errorf("decode registration: %w", err)
	}
	var reg Registration
	if err := decodeRegistration(data, &reg, spare); err != nil {
		return Registration{}, fmt.Errorf("decode registration: %w", err)
	}
	if err := reg.Validate(); err != nil {
		return Registration{}, fmt.Errorf("invalid registration: %w", err)
	}
	return reg, nil
}

// Validate checks a registration: `host` is set and looks like an address,
// there is at least one URI and every URI normalises, `port` or `tls_port`
// is set, `route_service_url` is https (gorouter's ValidateMessage),
// `protocol` is empty, `http1` or `http2`, and the stale threshold is not
// negative.
func (r Registration) Validate() error {
	if err := validateHost(r.Host); err != nil {
		return err
	}
	if len(r.URIs) == 0 {
		return invalid("uris", "at least one URI is required")
	}
	for i, uri := range r.URIs {
		if _, err := NormalizeURI(uri); err != nil {
			return invalid(fmt.Sprintf("uris[%d]", i), "%v", err)
		}
	}
	if r.Port == 0 && r.TLSPort == 0 {
		return invalid("port", "one of port and tls_port must be set")
	}
	if r.RouteServiceURL != "" && !strings.HasPrefix(r.RouteServiceURL, "https") {
		return invalid("route_service_url", "must start with https, got %q", r.RouteServiceURL)
	}
	switch r.Protocol {
	case "", ProtocolHTTP1, ProtocolHTTP2:
	default:
		return invalid("protocol", "must be empty, %q or %q, got %q", ProtocolHTTP1, ProtocolHTTP2, r.Protocol)
	}
	if r.StaleThresholdInSeconds < 0 {
		return invalid("stale_threshold_in_seconds", "must not be negative, got %d", r.StaleThresholdInSeconds)
	}
	return nil
}

// The protocols a registration may name.
const (
	ProtocolHTTP1 = "http1"
	ProtocolHTTP2 = "http2"
)

// validateHost accepts IPv4, IPv6 and DNS names: letters, digits, `.`, `-`,
// `_`, and `:` and `%` only in an IPv6 address (with a zone). It rejects
// what is clearly not an address (URLs, host:port, spaces) without resolving
// anything.
func validateHost(host string) error {
	if host == "" {
		return invalid("host", "required")
	}
	for _, c := range host {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '-', c == '_':
		case c == ':', c == '%':
			if addr, err := netip.ParseAddr(host); err != nil || !addr.Is6() {
				return invalid("host", "%q is not an IP address or host name (a port does not belong here)", truncate(host, 64))
			}
			return nil
		default:
			return invalid("host", "%q is not an IP address or host name", truncate(host, 64))
		}
	}
	return nil
}

// UnmarshalJSON decodes a registry message without validating it (see
// DecodeRegistration). Ports may be absent, null (as route_registrar's
// pointer ports are when unset) or integers in 0..65535.
func (r *Registration) UnmarshalJSON(data []byte) error {
	var reg Registration
	if err := decodeRegistration(data, &reg, nil); err != nil {
		return err
	}
	*r = reg
	return nil
}

// UnmarshalJSON decodes the `options` object, keeping it raw and lifting
// the keys gorouter reads. `null` means no options.
func (o *RegistrationOptions) UnmarshalJSON(data []byte) error {
	d := &decoder{r: jsonReader{data: data}}
	var opts RegistrationOptions
	err := d.options(&opts)
	if err == nil {
		err = d.r.end()
	}
	if err == nil {
		err = d.mismatch
	}
	if err != nil {
		return err
	}
	*o = opts
	return nil
}

// MarshalJSON writes the options object back as received, or built from
// the lifted keys when there is no raw object.
func (o RegistrationOptions) MarshalJSON() ([]byte, error) {
	if len(o.Raw) > 0 {
		return o.Raw, nil
	}
	fields := map[string]string{}
	if o.LoadBalancing != "" {
		fields["loadbalancing"] = o.LoadBalancing
	}
	if o.HashHeader != "" {
		fields["hash_header"] = o.HashHeader
	}
	return json.Marshal(fields)
}

// truncate shortens s to at most n bytes for error messages and logs.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
