package routeregistry

import (
	"errors"
	"fmt"
	"strings"
)

// InternalRegistration is one `service-discovery.register` or
// `service-discovery.unregister` message: route-emitter publishes one per
// app instance and internal route when `internal_routes.enabled` is set
// (route-emitter `InternalEndpointRegistryMessageFor`), and the
// service-discovery-controller (cf-networking-release) reads `host` and
// `uris` from it to answer bosh-dns for `*.apps.internal`.
//
// There is no port: apps are reached on the container IP at the port the
// client chooses (the routing table takes the destination's container
// port). route-emitter writes `"port":0`, which is ignored, and no instance
// GUID.
type InternalRegistration struct {
	// Host is the container IP.
	Host string `json:"host"`
	// URIs are `<host>.<internal domain>` and
	// `<index>.<host>.<internal domain>`.
	URIs []string `json:"uris"`
	// App is the Cloud Controller app GUID.
	App string `json:"app,omitempty"`
	// PrivateInstanceIndex is the instance index, as a string.
	PrivateInstanceIndex string `json:"private_instance_index,omitempty"`
	// Tags are `{"component":"route-emitter"}` from route-emitter.
	Tags map[string]string `json:"tags,omitempty"`
	// EndpointUpdatedAtNs is when the endpoint last changed, unix ns; only
	// sent when route-emitter is configured to.
	EndpointUpdatedAtNs int64 `json:"endpoint_updated_at_ns,omitempty"`
}

var internalRegistrationFields = []string{"host", "uris", "app", "private_instance_index", "tags", "endpoint_updated_at_ns"}

// DecodeInternalRegistration parses and validates one service-discovery
// payload, with DecodeRegistration's rules for JSON and payload size.
func DecodeInternalRegistration(data []byte) (InternalRegistration, error) {
	return decodeInternal(data, nil)
}

func decodeInternal(data []byte, spare *spares) (InternalRegistration, error) {
	if err := checkPayloadSize(data); err != nil {
		return InternalRegistration{}, fmt.Errorf("decode internal registration: %w", err)
	}
	var reg InternalRegistration
	if err := decodeInternalRegistration(data, &reg, spare); err != nil {
		return InternalRegistration{}, fmt.Errorf("decode internal registration: %w", err)
	}
	if err := reg.Validate(); err != nil {
		return InternalRegistration{}, fmt.Errorf("invalid internal registration: %w", err)
	}
	return reg, nil
}

// UnmarshalJSON decodes a service-discovery message without validating it
// (see DecodeInternalRegistration).
func (r *InternalRegistration) UnmarshalJSON(data []byte) error {
	var reg InternalRegistration
	if err := decodeInternalRegistration(data, &reg, nil); err != nil {
		return err
	}
	*r = reg
	return nil
}

func decodeInternalRegistration(data []byte, reg *InternalRegistration, spare *spares) error {
	d := decoder{r: jsonReader{data: data}, spare: spare}
	more, err := d.open()
	for more && err == nil {
		var key []byte
		if key, err = d.r.memberKey(); err == nil {
			if err = d.internalMember(reg, key); err == nil {
				more, err = d.r.nextMember()
			}
		}
	}
	return d.close(err)
}

func (d *decoder) internalMember(reg *InternalRegistration, key []byte) error {
	switch fieldIndex(key, internalRegistrationFields) {
	case 0:
		return d.str("host", &reg.Host)
	case 1:
		return d.stringList("uris", &reg.URIs)
	case 2:
		return d.str("app", &reg.App)
	case 3:
		return d.str("private_instance_index", &reg.PrivateInstanceIndex)
	case 4:
		return d.stringMap("tags", &reg.Tags)
	case 5:
		return d.integer("endpoint_updated_at_ns", &reg.EndpointUpdatedAtNs)
	default:
		return d.r.skip()
	}
}

// Validate checks an internal registration: `host` is set and looks like an
// address (the service-discovery-controller only requires it to be
// non-empty), and there is at least one URI, each a host name as
// NormalizeInternalURI accepts it.
func (r InternalRegistration) Validate() error {
	if err := validateHost(r.Host); err != nil {
		return err
	}
	if len(r.URIs) == 0 {
		return invalid("uris", "at least one URI is required")
	}
	for i, uri := range r.URIs {
		if _, err := NormalizeInternalURI(uri); err != nil {
			return invalid(fmt.Sprintf("uris[%d]", i), "%v", err)
		}
	}
	return nil
}

// NormalizeInternalURI returns the key an internal route's URI is stored
// under: lower case, without a trailing `.` (the service-discovery-controller
// treats `a.apps.internal` and `a.apps.internal.` alike).
//
// Cloud Controller allows neither paths nor wildcard hosts on internal
// domains, so a URI with a path, a query, a port or a `*` is rejected.
func NormalizeInternalURI(uri string) (string, error) {
	name := strings.TrimSuffix(uri, ".")
	if err := validateInternalName(name); err != nil {
		return "", fmt.Errorf("internal uri %q: %w", truncate(uri, 256), err)
	}
	return strings.ToLower(name), nil
}

func validateInternalName(name string) error {
	switch {
	case name == "":
		return errors.New("host is empty")
	case strings.ContainsFunc(name, isSpaceOrControl):
		return errors.New("host contains whitespace or control characters")
	case strings.ContainsAny(name, "/?"):
		return errors.New("internal routes have no path or query")
	case strings.Contains(name, ":"):
		return errors.New("host must not contain a port or scheme")
	case strings.Contains(name, "*"):
		return errors.New("internal routes have no wildcard hosts")
	case strings.HasPrefix(name, ".") || strings.Contains(name, ".."):
		return errors.New("host has an empty label")
	}
	return nil
}
