package routeregistry

import "fmt"

// MaxPayloadBytes is the largest registry message accepted, checked before
// anything is parsed.
//
// Decision: 64 KiB. A route-emitter message with every tag Cloud
// Controller sets is about 1 KiB, and a route_registrar message with a
// hundred URIs stays under 8 KiB; NATS itself allows 1 MiB, which would let
// one publisher make every copilot parse megabytes per message.
const MaxPayloadBytes = 64 << 10

// PayloadTooLargeError rejects a payload over MaxPayloadBytes.
type PayloadTooLargeError struct {
	Size, Limit int
}

func (e *PayloadTooLargeError) Error() string {
	return fmt.Sprintf("payload is %d bytes, more than the %d allowed", e.Size, e.Limit)
}

func checkPayloadSize(data []byte) error {
	if len(data) > MaxPayloadBytes {
		return &PayloadTooLargeError{Size: len(data), Limit: MaxPayloadBytes}
	}
	return nil
}

// registrationFields are Registration's JSON names; the constants below
// index them.
var registrationFields = []string{
	"host", "port", "tls_port", "uris", "app", "private_instance_id", "private_instance_index",
	"server_cert_domain_san", "route_service_url", "isolation_segment", "availability_zone", "protocol",
	"tags", "stale_threshold_in_seconds", "endpoint_updated_at_ns", "options", "allowed_sources",
}

const (
	fieldHost = iota
	fieldPort
	fieldTLSPort
	fieldURIs
	fieldApp
	fieldPrivateInstanceID
	fieldPrivateInstanceIndex
	fieldServerCertDomainSAN
	fieldRouteServiceURL
	fieldIsolationSegment
	fieldAvailabilityZone
	fieldProtocol
	fieldTags
	fieldStaleThreshold
	fieldEndpointUpdatedAt
	fieldOptions
	fieldAllowedSources
)

// portSpans are where the last `port` and `tls_port` values are. The last
// occurrence of a key wins and only that one must be a valid port, so the
// ports are checked once the object is read.
type portSpans struct{ port, tlsPort span }

// decodeRegistration fills reg from a registry message with the semantics
// gorouter's encoding/json gives it.
func decodeRegistration(data []byte, reg *Registration, spare *spares) error {
	d := decoder{r: jsonReader{data: data}, spare: spare}
	var ports portSpans
	more, err := d.open()
	for more && err == nil {
		var key []byte
		if key, err = d.r.memberKey(); err == nil {
			if err = d.registrationMember(reg, &ports, key); err == nil {
				more, err = d.r.nextMember()
			}
		}
	}
	if err = d.close(err); err != nil {
		return err
	}
	if reg.Port, err = decodePort(data, "port", ports.port); err != nil {
		return err
	}
	reg.TLSPort, err = decodePort(data, "tls_port", ports.tlsPort)
	return err
}

func (d *decoder) registrationMember(reg *Registration, ports *portSpans, key []byte) (err error) {
	i := fieldIndex(key, registrationFields)
	if field := reg.stringField(i); field != nil {
		return d.str(registrationFields[i], field)
	}
	switch i {
	case fieldPort:
		ports.port, err = d.capture()
	case fieldTLSPort:
		ports.tlsPort, err = d.capture()
	case fieldURIs:
		return d.stringList("uris", &reg.URIs)
	case fieldTags:
		return d.stringMap("tags", &reg.Tags)
	case fieldStaleThreshold:
		return d.staleThreshold(&reg.StaleThresholdInSeconds)
	case fieldEndpointUpdatedAt:
		return d.integer("endpoint_updated_at_ns", &reg.EndpointUpdatedAtNs)
	case fieldOptions:
		return d.options(&reg.Options)
	case fieldAllowedSources:
		return d.allowedSources(&reg.AllowedSources)
	default:
		return d.r.skip()
	}
	return err
}

// stringField returns the plain string field with index i, or nil.
func (r *Registration) stringField(i int) *string {
	switch i {
	case fieldHost:
		return &r.Host
	case fieldApp:
		return &r.App
	case fieldPrivateInstanceID:
		return &r.PrivateInstanceID
	case fieldPrivateInstanceIndex:
		return &r.PrivateInstanceIndex
	case fieldServerCertDomainSAN:
		return &r.ServerCertDomainSAN
	case fieldRouteServiceURL:
		return &r.RouteServiceURL
	case fieldIsolationSegment:
		return &r.IsolationSegment
	case fieldAvailabilityZone:
		return &r.AvailabilityZone
	case fieldProtocol:
		return &r.Protocol
	}
	return nil
}

func (d *decoder) staleThreshold(dst *int) error {
	n := int64(*dst)
	err := d.integer("stale_threshold_in_seconds", &n)
	if int64(int(n)) != n && d.mismatch == nil {
		d.mismatch = invalid("stale_threshold_in_seconds", "out of range: %d", n)
	}
	*dst = int(n)
	return err
}

// decodePort reads a port: absent or null is 0, otherwise an integer in
// 0..65535.
func decodePort(data []byte, field string, s span) (uint16, error) {
	if s.end == 0 {
		return 0, nil
	}
	raw := data[s.start:s.end]
	if string(raw) == "null" {
		return 0, nil
	}
	n, ok := parseInt(raw)
	if !ok || n < 0 || n > 65535 {
		return 0, invalid(field, "want an integer in 0..65535, got %s", truncate(string(raw), 32))
	}
	return uint16(n), nil
}

// options reads the `options` object: null clears it, and a repeated key's
// last value is the one that counts.
func (d *decoder) options(dst *RegistrationOptions) error {
	switch d.r.peek() {
	case 'n':
		*dst = RegistrationOptions{}
		return d.r.literal("null")
	case '{':
	default:
		return d.wrongType("options", "an object")
	}
	start := d.r.pos
	var loadBalancing, hashHeader span
	more, err := d.r.enterObject()
	for more && err == nil {
		var key []byte
		if key, err = d.r.memberKey(); err != nil {
			return err
		}
		switch string(key) {
		case "loadbalancing":
			loadBalancing, err = d.capture()
		case "hash_header":
			hashHeader, err = d.capture()
		default:
			err = d.r.skip()
		}
		if err == nil {
			more, err = d.r.nextMember()
		}
	}
	if err != nil {
		return err
	}
	opts := RegistrationOptions{Raw: appendCompactHTMLEscaped(nil, d.r.data[start:d.r.pos])}
	if d.optionString("options.loadbalancing", loadBalancing, &opts.LoadBalancing) &&
		d.optionString("options.hash_header", hashHeader, &opts.HashHeader) {
		*dst = opts
	}
	return nil
}

func (d *decoder) optionString(field string, s span, dst *string) bool {
	if s.end == 0 {
		return true
	}
	sub := d.sub(s)
	if err := sub.str(field, dst); err != nil || sub.mismatch != nil {
		if d.mismatch == nil {
			d.mismatch = invalid(field, "must be a string")
		}
		return false
	}
	return true
}

var allowedSourcesFields = []string{"apps", "spaces", "orgs", "any"}

func (d *decoder) allowedSources(dst **AllowedSources) error {
	switch d.r.peek() {
	case 'n':
		*dst = nil
		return d.r.literal("null")
	case '{':
	default:
		return d.wrongType("allowed_sources", "an object")
	}
	if *dst == nil {
		*dst = &AllowedSources{}
	}
	sources := *dst
	more, err := d.r.enterObject()
	for more && err == nil {
		var key []byte
		if key, err = d.r.memberKey(); err != nil {
			return err
		}
		switch fieldIndex(key, allowedSourcesFields) {
		case 0:
			err = d.stringList("allowed_sources.apps", &sources.Apps)
		case 1:
			err = d.stringList("allowed_sources.spaces", &sources.Spaces)
		case 2:
			err = d.stringList("allowed_sources.orgs", &sources.Orgs)
		case 3:
			err = d.boolean("allowed_sources.any", &sources.Any)
		default:
			err = d.r.skip()
		}
		if err == nil {
			more, err = d.r.nextMember()
		}
	}
	return err
}

// appendCompactHTMLEscaped appends a syntactically valid JSON value the way
// json.Compact followed by json.HTMLEscape writes it: without whitespace
// outside strings, with <, >, & and U+2028, U+2029 escaped.
func appendCompactHTMLEscaped(dst, src []byte) []byte {
	const hex = "0123456789abcdef"
	inString, escaped := false, false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			continue
		case c == '<' || c == '>' || c == '&':
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		case c == 0xe2 && i+2 < len(src) && src[i+1] == 0x80 && src[i+2]&^1 == 0xa8:
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[src[i+2]&0xf])
			i += 2
		default:
			dst = append(dst, c)
		}
		switch {
		case escaped:
			escaped = false
		case c == '\\' && inString:
			escaped = true
		case c == '"':
			inString = !inString
		}
	}
	return dst
}
