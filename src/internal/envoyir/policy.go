package envoyir

import (
	"strconv"
	"strings"
	"time"

	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// routePolicy reads an HTTPRoute's timeout, retries and faults, and the
// rate limit its VirtualService carries for it (mesh.RateLimitAnnotationPrefix).
func (t *translation) routePolicy(r mesh.Resource, hr *networking.HTTPRoute) RoutePolicy {
	var p RoutePolicy
	if d := hr.GetTimeout(); d != nil {
		p.Timeout = jsonduration.Duration(d.AsDuration())
	}
	if retries := hr.GetRetries(); retries.GetAttempts() > 0 {
		p.Retry = &RetryPolicy{
			Attempts:      uint32(retries.GetAttempts()),
			RetryOn:       retries.GetRetryOn(),
			PerTryTimeout: jsonduration.Duration(retries.GetPerTryTimeout().AsDuration()),
		}
	}
	p.Fault = fault(hr.GetFault())
	if raw, ok := r.Annotations[mesh.RateLimitAnnotationPrefix+hr.GetName()]; ok {
		if limit, ok := parseRateLimit(raw); ok {
			p.RateLimit = limit
		} else {
			t.fail(r, "annotation %s%s=%q is not <requests>/<s|m|h>; the route has no rate limit", mesh.RateLimitAnnotationPrefix, hr.GetName(), raw)
		}
	}
	return p
}

func fault(f *networking.HTTPFaultInjection) *Fault {
	if f == nil {
		return nil
	}
	out := &Fault{}
	if d := f.GetDelay().GetFixedDelay(); d != nil {
		out.Delay = jsonduration.Duration(d.AsDuration())
		out.DelayPercent = percentOf(f.GetDelay().GetPercentage(), f.GetDelay().GetPercent())
	}
	if status := f.GetAbort().GetHttpStatus(); status > 0 {
		out.AbortStatus = uint32(status)
		out.AbortPercent = percentOf(f.GetAbort().GetPercentage(), 0)
	}
	if out.Delay == 0 && out.AbortStatus == 0 {
		return nil
	}
	return out
}

// percentOf is Istio's fault percentage: the `percentage` field, else the
// deprecated integer `percent`, else 100.
func percentOf(p *networking.Percent, legacy int32) float64 {
	switch {
	case p != nil:
		return p.GetValue()
	case legacy > 0:
		return float64(legacy)
	}
	return 100
}

func parseRateLimit(raw string) (*RateLimit, bool) {
	count, unit, found := strings.Cut(strings.TrimSpace(raw), "/")
	per := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[unit]
	n, err := strconv.ParseUint(count, 10, 32)
	if !found || per == 0 || err != nil || n == 0 {
		return nil, false
	}
	return &RateLimit{Requests: uint32(n), Per: jsonduration.Duration(per)}, true
}
