package xdsresources

import (
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

// Resources is everything the pilot serves, by cache. Maps are keyed by
// resource name. Route configuration names never overlap between classes
// (`http.80` vs `outbound|8080||host`), so they share one map; clusters and
// endpoints share names but not content (gateways speak TLS to container
// proxies, gRPC clients do not), so each class has its own.
type Resources struct {
	GatewayListeners map[string]*listenerv3.Listener
	MeshListeners    map[string]*listenerv3.Listener
	Routes           map[string]*routev3.RouteConfiguration
	GatewayClusters  map[string]*clusterv3.Cluster
	MeshClusters     map[string]*clusterv3.Cluster
	SidecarClusters  map[string]*clusterv3.Cluster
	GatewayEndpoints map[string]*endpointv3.ClusterLoadAssignment
	MeshEndpoints    map[string]*endpointv3.ClusterLoadAssignment
	SidecarEndpoints map[string]*endpointv3.ClusterLoadAssignment

	// sidecars builds each container sidecar's and proxyless server's own
	// listeners and routes (Sidecar, ProxylessServer).
	sidecars *sidecarSet
}

// Options tune what gateways get. The zero value gives the defaults.
type Options struct {
	// GatewayBindAddress is the address gateway listeners bind to.
	GatewayBindAddress string `json:"bind_address,omitempty"`
	// ConnectTimeout bounds an upstream connection attempt.
	ConnectTimeout time.Duration `json:"connect_timeout,omitempty"`
	// RequestTimeout is a gateway route's timeout unless the route sets
	// its own (gorouter's request_timeout_in_seconds, 900 by default).
	RequestTimeout time.Duration `json:"request_timeout,omitempty"`
	// SecretsDirectory is where the gateway job renders SDS files, one
	// `<secret name>.yaml` per certificate (ADR 10).
	SecretsDirectory string `json:"secrets_directory,omitempty"`
	// UpstreamClientSecret is the client certificate gateways present to
	// container proxies; UpstreamCASecret verifies them (the instance
	// identity CA).
	UpstreamClientSecret string `json:"upstream_client_secret,omitempty"`
	UpstreamCASecret     string `json:"upstream_ca_secret,omitempty"`
	// AccessLogPath receives one JSON line per request; "" means stdout.
	AccessLogPath string `json:"access_log_path,omitempty"`
	// Tracing turns on tracing when its collector cluster is set.
	Tracing Tracing `json:"tracing,omitzero"`
	// Mesh tunes what container sidecars and proxyless gRPC apps get.
	Mesh MeshOptions `json:"mesh,omitzero"`
}

// Tracing sends spans to a collector the gateway's bootstrap defines as a
// static cluster.
type Tracing struct {
	// Provider is "zipkin" or "opentelemetry".
	Provider string `json:"provider,omitempty"`
	// CollectorCluster names the bootstrap's collector cluster.
	CollectorCluster string `json:"collector_cluster,omitempty"`
	// SamplingPercent of requests get a new trace; default 1.
	SamplingPercent float64 `json:"sampling_percent,omitempty"`
}

// Defaults.
const (
	DefaultGatewayBindAddress   = "0.0.0.0"
	DefaultConnectTimeout       = time.Second
	DefaultRequestTimeout       = 900 * time.Second
	DefaultSecretsDirectory     = "/var/vcap/jobs/gateway/config/sds"
	DefaultUpstreamClientSecret = "upstream-client"
	DefaultUpstreamCASecret     = "instance-identity-ca"
	DefaultTracingSampling      = 1.0
)

// WithDefaults fills empty fields.
func (o Options) WithDefaults() Options {
	set := func(field *string, def string) {
		if *field == "" {
			*field = def
		}
	}
	set(&o.GatewayBindAddress, DefaultGatewayBindAddress)
	set(&o.SecretsDirectory, DefaultSecretsDirectory)
	set(&o.UpstreamClientSecret, DefaultUpstreamClientSecret)
	set(&o.UpstreamCASecret, DefaultUpstreamCASecret)
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Tracing.CollectorCluster != "" && o.Tracing.SamplingPercent == 0 {
		o.Tracing.SamplingPercent = DefaultTracingSampling
	}
	o.Mesh = o.Mesh.withDefaults()
	return o
}

// validatable is what every generated Envoy message implements.
type validatable interface {
	proto.Message
	ValidateAll() error
}

// Translate builds the resources of every class from the IR. Resources that
// fail validation are left out and reported. It remembers nothing: the
// pilot uses a Translator, which gives the same result.
func Translate(ir envoyir.IR, opts Options) (Resources, []error) {
	return NewTranslator(opts).Translate(ir)
}

type named interface {
	validatable
	GetName() string
}

func resourceName(r proto.Message) string {
	switch m := r.(type) {
	case *endpointv3.ClusterLoadAssignment:
		return m.GetClusterName()
	case named:
		return m.GetName()
	}
	return ""
}
