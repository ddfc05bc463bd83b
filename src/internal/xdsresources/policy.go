package xdsresources

import (
	"math"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	commonfaultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/common/fault/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	localratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	previoushostsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

// previousHostsPredicate makes a retry pick another host than the ones
// that failed.
var previousHostsPredicate = func() *routev3.RetryPolicy_RetryHostPredicate {
	typed, _ := toAny(&previoushostsv3.PreviousHostsPredicate{})
	return &routev3.RetryPolicy_RetryHostPredicate{
		Name:       "envoy.retry_host_predicates.previous_hosts",
		ConfigType: &routev3.RetryPolicy_RetryHostPredicate_TypedConfig{TypedConfig: typed},
	}
}()

// perFilterConfig turns a route's faults (and, for gateways, its rate
// limit) on for that route only; nil when it asks for neither.
func perFilterConfig(p envoyir.RoutePolicy, withRateLimit bool) map[string]*anypb.Any {
	out := map[string]*anypb.Any{}
	if p.Fault != nil {
		out[faultFilterName], _ = toAny(httpFault(p.Fault))
	}
	if withRateLimit && p.RateLimit != nil {
		out[localRateLimitFilterName], _ = toAny(localRateLimit(p.RateLimit))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func httpFault(f *envoyir.Fault) *faultv3.HTTPFault {
	out := &faultv3.HTTPFault{}
	if f.Delay > 0 {
		out.Delay = &commonfaultv3.FaultDelay{
			FaultDelaySecifier: &commonfaultv3.FaultDelay_FixedDelay{FixedDelay: durationpb.New(f.Delay.Std())},
			Percentage:         millionths(f.DelayPercent),
		}
	}
	if f.AbortStatus > 0 {
		out.Abort = &faultv3.FaultAbort{
			ErrorType:  &faultv3.FaultAbort_HttpStatus{HttpStatus: f.AbortStatus},
			Percentage: millionths(f.AbortPercent),
		}
	}
	return out
}

// localRateLimit admits the route's requests from a token bucket per
// gateway and answers the rest 429.
func localRateLimit(r *envoyir.RateLimit) *localratelimitv3.LocalRateLimit {
	always := &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{Numerator: 100, Denominator: typev3.FractionalPercent_HUNDRED}}
	return &localratelimitv3.LocalRateLimit{
		StatPrefix: "local_rate_limit",
		TokenBucket: &typev3.TokenBucket{
			MaxTokens:     r.Requests,
			TokensPerFill: wrapperspb.UInt32(r.Requests),
			FillInterval:  durationpb.New(r.Per.Std()),
		},
		FilterEnabled:  always,
		FilterEnforced: always,
	}
}

// millionths expresses a percentage exactly enough for 1.5% or 0.01%.
func millionths(percent float64) *typev3.FractionalPercent {
	return &typev3.FractionalPercent{
		Numerator:   uint32(math.Round(percent * 10000)),
		Denominator: typev3.FractionalPercent_MILLION,
	}
}
