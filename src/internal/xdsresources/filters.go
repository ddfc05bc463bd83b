package xdsresources

import (
	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tracev3 "github.com/envoyproxy/go-control-plane/envoy/config/trace/v3"
	filev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	streamv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	localratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"code.cloudfoundry.org/cf-mesh/internal/gatewaybootstrap"
)

// HTTP filter names.
const (
	faultFilterName          = "envoy.filters.http.fault"
	localRateLimitFilterName = "envoy.filters.http.local_ratelimit"
	routerFilterName         = "envoy.filters.http.router"
)

// The HTTP filters. Fault and local rate limit do nothing unless a route
// configures them (typed_per_filter_config); the router is always last.
var (
	faultFilter          = httpFilter(faultFilterName, &faultv3.HTTPFault{})
	localRateLimitFilter = httpFilter(localRateLimitFilterName, &localratelimitv3.LocalRateLimit{StatPrefix: "local_rate_limit"})
	routerFilter         = httpFilter(routerFilterName, &routerv3.Router{})
)

// httpFilter packs a filter config built here; these fixed messages always
// marshal, so there is no error to return.
func httpFilter(name string, config proto.Message) *hcmv3.HttpFilter {
	typed, _ := toAny(config)
	return &hcmv3.HttpFilter{Name: name, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: typed}}
}

// accessLogFields is one JSON line per request, with what operators ship
// and search by.
var accessLogFields = map[string]any{
	"start_time": "%START_TIME%", "method": "%REQ(:METHOD)%", "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
	"protocol": "%PROTOCOL%", "status": "%RESPONSE_CODE%", "response_flags": "%RESPONSE_FLAGS%",
	"bytes_received": "%BYTES_RECEIVED%", "bytes_sent": "%BYTES_SENT%", "duration_ms": "%DURATION%",
	"upstream_host": "%UPSTREAM_HOST%", "upstream_cluster": "%UPSTREAM_CLUSTER%", "route_name": "%ROUTE_NAME%",
	"authority": "%REQ(:AUTHORITY)%", "x_forwarded_for": "%REQ(X-FORWARDED-FOR)%", "user_agent": "%REQ(USER-AGENT)%",
	"request_id": "%REQ(X-REQUEST-ID)%", "downstream_remote_address": "%DOWNSTREAM_REMOTE_ADDRESS%",
}

func accessLogs(opts Options) []*accesslogv3.AccessLog {
	format, _ := structpb.NewStruct(accessLogFields)
	logFormat := &corev3.SubstitutionFormatString{Format: &corev3.SubstitutionFormatString_JsonFormat{JsonFormat: format}}
	var name string
	var config proto.Message
	if opts.AccessLogPath == "" {
		name, config = "envoy.access_loggers.stdout", &streamv3.StdoutAccessLog{
			AccessLogFormat: &streamv3.StdoutAccessLog_LogFormat{LogFormat: logFormat},
		}
	} else {
		name, config = "envoy.access_loggers.file", &filev3.FileAccessLog{
			Path: opts.AccessLogPath, AccessLogFormat: &filev3.FileAccessLog_LogFormat{LogFormat: logFormat},
		}
	}
	typed, _ := toAny(config)
	return []*accesslogv3.AccessLog{{Name: name, ConfigType: &accesslogv3.AccessLog_TypedConfig{TypedConfig: typed}}}
}

// tracing sends spans to the bootstrap's collector cluster, or is nil when
// no collector is configured.
func tracing(t Tracing) *hcmv3.HttpConnectionManager_Tracing {
	if t.CollectorCluster == "" {
		return nil
	}
	var provider *tracev3.Tracing_Http
	switch t.Provider {
	case "opentelemetry":
		config, _ := toAny(&tracev3.OpenTelemetryConfig{
			GrpcService: &corev3.GrpcService{TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{
				EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{ClusterName: t.CollectorCluster},
			}},
			ServiceName: "cf-mesh-gateway",
		})
		provider = &tracev3.Tracing_Http{Name: "envoy.tracers.opentelemetry", ConfigType: &tracev3.Tracing_Http_TypedConfig{TypedConfig: config}}
	default:
		config, _ := toAny(&tracev3.ZipkinConfig{
			CollectorCluster:         t.CollectorCluster,
			CollectorEndpoint:        "/api/v2/spans",
			CollectorEndpointVersion: tracev3.ZipkinConfig_HTTP_JSON,
		})
		provider = &tracev3.Tracing_Http{Name: "envoy.tracers.zipkin", ConfigType: &tracev3.Tracing_Http_TypedConfig{TypedConfig: config}}
	}
	return &hcmv3.HttpConnectionManager_Tracing{
		RandomSampling: &typev3.Percent{Value: t.SamplingPercent},
		Provider:       provider,
	}
}

// fileSecret refers to a secret the gateway reads from its own SDS file
// (ADR 10).
func fileSecret(name string, opts Options) *tlsv3.SdsSecretConfig {
	return gatewaybootstrap.FileSecretConfig(opts.SecretsDirectory, name)
}

func boolValue(b bool) *wrapperspb.BoolValue { return wrapperspb.Bool(b) }
