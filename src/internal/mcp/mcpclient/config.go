package mcpclient

import (
	"errors"
	"fmt"
	"net"
	"slices"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// Defaults for Config.
const (
	// DefaultVersion is the API version collections are requested under, as
	// Istio ≥ 1.24 names them.
	DefaultVersion = "v1"
)

// DefaultKinds are the collections the pilot translates into Envoy config.
var DefaultKinds = []mesh.Kind{mesh.KindGateway, mesh.KindVirtualService, mesh.KindDestinationRule, mesh.KindServiceEntry}

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
	// Version is the API version string collections are requested under.
	// Every kind must be served under it. Default: DefaultVersion.
	Version string `json:"version,omitempty"`
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
		info, ok := k.Info()
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("kinds: unknown kind %q", k))
		case slices.Contains(c.Kinds[:i], k):
			errs = append(errs, fmt.Errorf("kinds: %s listed twice", k))
		case !slices.Contains(info.Versions, c.Version):
			errs = append(errs, fmt.Errorf("version: %s is not served under %q (served: %v)", k, c.Version, info.Versions))
		}
	}
	return errors.Join(errs...)
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
