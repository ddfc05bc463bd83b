package routeregistry_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"

	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
)

// The oracles decode with encoding/json, as gorouter and the
// service-discovery-controller do. The fuzz tests hold routeregistry's own
// JSON reader to them: the same payloads accepted, the same values decoded.

// oracleRegistration is the wire format as gorouter's encoding/json sees
// it, with ports kept raw (route_registrar sends null ports).
type oracleRegistration struct {
	Host                    string                        `json:"host"`
	Port                    json.RawMessage               `json:"port"`
	TLSPort                 json.RawMessage               `json:"tls_port"`
	URIs                    []string                      `json:"uris"`
	App                     string                        `json:"app"`
	PrivateInstanceID       string                        `json:"private_instance_id"`
	PrivateInstanceIndex    string                        `json:"private_instance_index"`
	ServerCertDomainSAN     string                        `json:"server_cert_domain_san"`
	RouteServiceURL         string                        `json:"route_service_url"`
	Tags                    map[string]string             `json:"tags"`
	StaleThresholdInSeconds int                           `json:"stale_threshold_in_seconds"`
	IsolationSegment        string                        `json:"isolation_segment"`
	EndpointUpdatedAtNs     int64                         `json:"endpoint_updated_at_ns"`
	AvailabilityZone        string                        `json:"availability_zone"`
	Protocol                string                        `json:"protocol"`
	Options                 oracleOptions                 `json:"options"`
	AllowedSources          *routeregistry.AllowedSources `json:"allowed_sources"`
}

type oracleOptions struct {
	routeregistry.RegistrationOptions
}

var errOracleOptions = errors.New("options rejected")

func (o *oracleOptions) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*o = oracleOptions{}
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return errOracleOptions
	}
	var opts routeregistry.RegistrationOptions
	for key, dst := range map[string]*string{"loadbalancing": &opts.LoadBalancing, "hash_header": &opts.HashHeader} {
		if raw, ok := fields[key]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, dst); err != nil {
				return errOracleOptions
			}
		}
	}
	var compact, escaped bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		return errOracleOptions
	}
	json.HTMLEscape(&escaped, compact.Bytes())
	opts.Raw = escaped.Bytes()
	o.RegistrationOptions = opts
	return nil
}

func oraclePort(raw json.RawMessage) (uint16, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, true
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n < 0 || n > math.MaxUint16 {
		return 0, false
	}
	return uint16(n), true
}

// oracleDecodeRegistration decodes and validates like DecodeRegistration,
// with encoding/json.
func oracleDecodeRegistration(data []byte) (routeregistry.Registration, bool) {
	var wire oracleRegistration
	if len(data) > routeregistry.MaxPayloadBytes || json.Unmarshal(data, &wire) != nil {
		return routeregistry.Registration{}, false
	}
	port, okPort := oraclePort(wire.Port)
	tlsPort, okTLS := oraclePort(wire.TLSPort)
	reg := routeregistry.Registration{
		Host: wire.Host, Port: port, TLSPort: tlsPort, URIs: wire.URIs, App: wire.App,
		PrivateInstanceID: wire.PrivateInstanceID, PrivateInstanceIndex: wire.PrivateInstanceIndex,
		ServerCertDomainSAN: wire.ServerCertDomainSAN, RouteServiceURL: wire.RouteServiceURL,
		Tags: wire.Tags, StaleThresholdInSeconds: wire.StaleThresholdInSeconds,
		IsolationSegment: wire.IsolationSegment, EndpointUpdatedAtNs: wire.EndpointUpdatedAtNs,
		AvailabilityZone: wire.AvailabilityZone, Protocol: wire.Protocol,
		Options: wire.Options.RegistrationOptions, AllowedSources: wire.AllowedSources,
	}
	if !okPort || !okTLS || reg.Validate() != nil {
		return routeregistry.Registration{}, false
	}
	return reg, true
}

// oracleInternalRegistration has InternalRegistration's fields without its
// methods, so encoding/json decodes it by reflection.
type oracleInternalRegistration routeregistry.InternalRegistration

func oracleDecodeInternalRegistration(data []byte) (routeregistry.InternalRegistration, bool) {
	var wire oracleInternalRegistration
	if len(data) > routeregistry.MaxPayloadBytes || json.Unmarshal(data, &wire) != nil {
		return routeregistry.InternalRegistration{}, false
	}
	reg := routeregistry.InternalRegistration(wire)
	if reg.Validate() != nil {
		return routeregistry.InternalRegistration{}, false
	}
	return reg, true
}
