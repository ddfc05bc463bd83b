package mcpclient

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// Transports a Client speaks.
const (
	// TransportDelta is incremental xDS (DeltaAggregatedResources): only
	// changed objects travel, and a reconnect declares what the pilot holds.
	TransportDelta = "delta"
	// TransportSotW is State-of-the-World xDS (StreamAggregatedResources):
	// every change re-sends its whole collection. For servers that speak
	// nothing else.
	TransportSotW = "sotw"
)

// Defaults for Config.
const (
	// DefaultVersion is the API version collections are requested under, as
	// Istio ≥ 1.24 names them.
	DefaultVersion = "v1"
	// DefaultTransport is the copilot's incremental transport.
	DefaultTransport = TransportDelta
	// DefaultMaxReceiveMessageBytes fits one State-of-the-World collection
	// of 100,000 endpoints (10.6 MB measured, docs/performance.md "MCP")
	// about six times; it matches the copilot's max_send_message_bytes.
	DefaultMaxReceiveMessageBytes = 64 << 20
	// DefaultKeepaliveTime and DefaultKeepaliveTimeout make a copilot that
	// stopped answering (a half-dead TCP connection) noticed within 25 s,
	// after which the client reconnects, to the next copilot.
	DefaultKeepaliveTime    = 15 * time.Second
	DefaultKeepaliveTimeout = 10 * time.Second
	// minKeepaliveTime is gRPC's floor for client pings; lower values are
	// silently raised to it.
	minKeepaliveTime = 10 * time.Second
)

// DefaultKinds are the collections the pilot translates into Envoy config.
var DefaultKinds = []mesh.Kind{mesh.KindGateway, mesh.KindVirtualService, mesh.KindDestinationRule, mesh.KindServiceEntry, mesh.KindSidecar, mesh.KindAuthorizationPolicy}

// Config configures a Client. It is rendered as JSON by the pilot job.
type Config struct {
	// Addresses are the copilots' MCP endpoints, host:port. Any one will do;
	// they are tried round-robin on reconnect. Required.
	Addresses []string `json:"addresses"`
	// NodeID is the Istio-style node id sent to the copilot. Default:
	// DefaultNodeID().
	NodeID string `json:"node_id,omitempty"`
	// Kinds are the collections to subscribe to. Default: DefaultKinds.
	Kinds []mesh.Kind `json:"kinds,omitempty"`
	// Version is the API version string collections are requested under;
	// a kind not served under it (security.istio.io has no v1alpha3) is
	// requested under its oldest version, as istiod does. Default:
	// DefaultVersion.
	Version string `json:"version,omitempty"`
	// Transport is "delta" or "sotw". Default: DefaultTransport.
	Transport string `json:"transport,omitempty"`
	// MaxReceiveMessageBytes caps one response from the copilot. A larger
	// one ends the stream with gRPC ResourceExhausted, logged as
	// `mcp-message-too-large`. Default: DefaultMaxReceiveMessageBytes.
	MaxReceiveMessageBytes int `json:"max_receive_message_bytes,omitempty"`
	// KeepaliveTime is how long the connection may be idle before the
	// client pings the copilot (at least 10s, gRPC's floor);
	// KeepaliveTimeout how long it waits for the answer before it gives
	// the connection up. The copilot's keepalive_min_client_interval must
	// not exceed KeepaliveTime. Defaults: 15s and 10s.
	KeepaliveTime    jsonduration.Duration `json:"keepalive_time,omitempty"`
	KeepaliveTimeout jsonduration.Duration `json:"keepalive_timeout,omitempty"`
}

// WithDefaults returns c with empty fields set to their defaults. The
// default NodeID looks up this host's IP address.
func (c Config) WithDefaults() Config {
	if c.NodeID == "" {
		c.NodeID = DefaultNodeID()
	}
	if len(c.Kinds) == 0 {
		c.Kinds = slices.Clone(DefaultKinds)
	}
	if c.Version == "" {
		c.Version = DefaultVersion
	}
	if c.Transport == "" {
		c.Transport = DefaultTransport
	}
	if c.MaxReceiveMessageBytes == 0 {
		c.MaxReceiveMessageBytes = DefaultMaxReceiveMessageBytes
	}
	if c.KeepaliveTime == 0 {
		c.KeepaliveTime = jsonduration.Duration(DefaultKeepaliveTime)
	}
	if c.KeepaliveTimeout == 0 {
		c.KeepaliveTimeout = jsonduration.Duration(DefaultKeepaliveTimeout)
	}
	return c
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	if len(c.Addresses) == 0 {
		errs = append(errs, errors.New("addresses: at least one copilot address is required"))
	}
	for _, a := range c.Addresses {
		if host, port, err := net.SplitHostPort(a); err != nil || host == "" || port == "" {
			errs = append(errs, fmt.Errorf("addresses: %q is not host:port", a))
		}
	}
	if c.NodeID == "" {
		errs = append(errs, errors.New("node_id: required"))
	}
	if len(c.Kinds) == 0 {
		errs = append(errs, errors.New("kinds: at least one kind is required"))
	}
	for i, k := range c.Kinds {
		if _, ok := k.Info(); !ok {
			errs = append(errs, fmt.Errorf("kinds: unknown kind %q", k))
		} else if slices.Contains(c.Kinds[:i], k) {
			errs = append(errs, fmt.Errorf("kinds: %s listed twice", k))
		}
	}
	if !knownVersion(c.Version) {
		errs = append(errs, fmt.Errorf("version: %q is no version any kind is served under", c.Version))
	}
	return errors.Join(append(errs, c.transportProblems()...)...)
}

// CollectionOf is the collection a kind is requested under.
func (c Config) CollectionOf(info mesh.KindInfo) string {
	if slices.Contains(info.Versions, c.Version) {
		return info.Collection(c.Version)
	}
	return info.Collection(info.Versions[0])
}

func knownVersion(v string) bool {
	for _, info := range mesh.Kinds() {
		if slices.Contains(info.Versions, v) {
			return true
		}
	}
	return false
}

// transportProblems checks the transport fields; zero values mean "the
// default" and pass.
func (c Config) transportProblems() []error {
	var errs []error
	if c.Transport != "" && c.Transport != TransportDelta && c.Transport != TransportSotW {
		errs = append(errs, fmt.Errorf("transport: %q is neither %q nor %q", c.Transport, TransportDelta, TransportSotW))
	}
	if c.MaxReceiveMessageBytes < 0 {
		errs = append(errs, fmt.Errorf("max_receive_message_bytes: %d is negative", c.MaxReceiveMessageBytes))
	}
	if c.KeepaliveTime != 0 && c.KeepaliveTime.Std() < minKeepaliveTime {
		errs = append(errs, fmt.Errorf("keepalive_time: %s is below gRPC's minimum of %s", c.KeepaliveTime, minKeepaliveTime))
	}
	if c.KeepaliveTimeout < 0 {
		errs = append(errs, fmt.Errorf("keepalive_timeout: %s is negative", c.KeepaliveTimeout))
	}
	return errs
}

// DefaultNodeID is an Istio-style router node id for this host,
// `router~<ip>~pilot.cloudfoundry~cloudfoundry.svc.cluster.local`, with the
// first non-loopback IPv4 address (127.0.0.1 if there is none).
func DefaultNodeID() string {
	return "router~" + hostIP() + "~pilot." + mesh.Namespace + "~" + mesh.Namespace + ".svc.cluster.local"
}

func hostIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "127.0.0.1"
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() {
			return n.IP.String()
		}
	}
	return "127.0.0.1"
}
