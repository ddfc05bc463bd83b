package routeregistry

import (
	"errors"
	"strings"
)

// Rejection reasons RejectReason returns besides `invalid_<field>`.
const (
	ReasonPayloadTooLarge = "payload_too_large"
	ReasonMalformedJSON   = "malformed_json"
	ReasonInvalid         = "invalid"
)

// RejectReason names why DecodeRegistration or DecodeInternalRegistration
// rejected a payload, for a metric label: ReasonPayloadTooLarge,
// ReasonMalformedJSON (not JSON at all), or `invalid_<field>` with the
// top-level field at fault (`invalid_host`, `invalid_uris`, `invalid_port`
// for a port 0 without a TLS port, `invalid_route_service_url`, ...,
// `invalid_payload` for JSON that is not an object). The set is small and
// fixed: field names come from this package, never from the payload.
func RejectReason(err error) string {
	var tooLarge *PayloadTooLargeError
	var syntax *SyntaxError
	var invalid *ValidationError
	switch {
	case errors.As(err, &tooLarge):
		return ReasonPayloadTooLarge
	case errors.As(err, &syntax):
		return ReasonMalformedJSON
	case errors.As(err, &invalid):
		field, _, _ := strings.Cut(invalid.Field, "[")
		field, _, _ = strings.Cut(field, ".")
		return "invalid_" + field
	}
	return ReasonInvalid
}
