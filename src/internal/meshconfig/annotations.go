package meshconfig

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// AnnotationPrefix starts every route annotation cf-mesh reads
// (`metadata.annotations` on `/v3/routes`). docs/route-policy.md lists them.
const AnnotationPrefix = "mesh.cloudfoundry.org/"

// The route annotations cf-mesh understands.
const (
	AnnotationTimeout           = AnnotationPrefix + "timeout"
	AnnotationRetries           = AnnotationPrefix + "retries"
	AnnotationRetryOn           = AnnotationPrefix + "retry-on"
	AnnotationPerTryTimeout     = AnnotationPrefix + "per-try-timeout"
	AnnotationRateLimit         = AnnotationPrefix + "rate-limit"
	AnnotationFaultDelay        = AnnotationPrefix + "fault-delay"
	AnnotationFaultDelayPercent = AnnotationPrefix + "fault-delay-percent"
	AnnotationFaultAbort        = AnnotationPrefix + "fault-abort"
	AnnotationFaultAbortPercent = AnnotationPrefix + "fault-abort-percent"
	AnnotationCanaryHeader      = AnnotationPrefix + "canary-header"
	AnnotationCanaryApp         = AnnotationPrefix + "canary-app"
)

// maxTimeout bounds every duration annotation.
const maxTimeout = time.Hour

// retryConditions are the retry_on values both Envoy and gRPC accept.
var retryConditions = map[string]bool{
	"5xx": true, "gateway-error": true, "reset": true, "connect-failure": true, "retriable-4xx": true,
	"refused-stream": true, "retriable-status-codes": true, "cancelled": true, "deadline-exceeded": true,
	"internal": true, "resource-exhausted": true, "unavailable": true,
}

// TrafficPolicy is what a route's annotations ask for. Zero values mean
// "not asked for".
type TrafficPolicy struct {
	Timeout       time.Duration
	Retries       int32
	RetryOn       string
	PerTryTimeout time.Duration
	// RateLimit is requests per RateLimitPer; 0 when unset.
	RateLimit    uint32
	RateLimitPer time.Duration
	// FaultDelay delays FaultDelayPercent of requests.
	FaultDelay        time.Duration
	FaultDelayPercent float64
	// FaultAbort answers FaultAbortPercent of requests with this status.
	FaultAbort        int32
	FaultAbortPercent float64
	// CanaryHeader/CanaryValue steer matching requests to CanaryApp.
	CanaryHeader, CanaryValue, CanaryApp string
}

// annotationProblem names the annotation and what is wrong with it.
func annotationProblem(key, value, reason string) error {
	return fmt.Errorf("annotation %s=%q: %s", key, value, reason)
}

// ParseTrafficPolicy reads a route's annotations. Each bad annotation is
// reported and ignored; the others still apply. Annotations outside
// AnnotationPrefix are not cf-mesh's and are ignored silently.
func ParseTrafficPolicy(annotations map[string]string) (TrafficPolicy, []error) {
	p := policyParser{annotations: annotations}
	p.unknownKeys()
	p.policy.Timeout = p.duration(AnnotationTimeout)
	p.retries()
	p.rateLimit()
	p.faults()
	p.canary()
	return p.policy, p.errs
}

type policyParser struct {
	annotations map[string]string
	policy      TrafficPolicy
	errs        []error
}

func (p *policyParser) fail(key, reason string) {
	p.errs = append(p.errs, annotationProblem(key, p.annotations[key], reason))
}

func (p *policyParser) unknownKeys() {
	known := map[string]bool{}
	for _, k := range []string{AnnotationTimeout, AnnotationRetries, AnnotationRetryOn, AnnotationPerTryTimeout,
		AnnotationRateLimit, AnnotationFaultDelay, AnnotationFaultDelayPercent, AnnotationFaultAbort,
		AnnotationFaultAbortPercent, AnnotationCanaryHeader, AnnotationCanaryApp} {
		known[k] = true
	}
	var unknown []string
	for k := range p.annotations {
		if strings.HasPrefix(k, AnnotationPrefix) && !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		p.fail(k, "unknown cf-mesh annotation (see docs/route-policy.md)")
	}
}

// duration reads a positive Go duration of at most maxTimeout.
func (p *policyParser) duration(key string) time.Duration {
	raw, ok := p.annotations[key]
	if !ok {
		return 0
	}
	d, err := time.ParseDuration(strings.TrimSpace(raw))
	switch {
	case err != nil:
		p.fail(key, "not a duration such as 5s or 1m30s")
	case d <= 0 || d > maxTimeout:
		p.fail(key, "must be more than 0 and at most 1h")
	default:
		return d
	}
	return 0
}

// number reads an integer in [lo, hi].
func (p *policyParser) number(key string, lo, hi int) (int, bool) {
	raw, ok := p.annotations[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || n < lo || n > hi {
		p.fail(key, fmt.Sprintf("must be a whole number from %d to %d", lo, hi))
		return 0, false
	}
	return n, true
}

// percent reads a percentage in (0, 100]; absent means 100.
func (p *policyParser) percent(key string) float64 {
	raw, ok := p.annotations[key]
	if !ok {
		return 100
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
	if err != nil || v <= 0 || v > 100 {
		p.fail(key, "must be a percentage more than 0 and at most 100")
		return 0
	}
	return v
}

func (p *policyParser) retries() {
	if n, ok := p.number(AnnotationRetries, 0, 10); ok {
		p.policy.Retries = int32(n)
	}
	if raw, ok := p.annotations[AnnotationRetryOn]; ok {
		var conditions []string
		for _, c := range strings.Split(raw, ",") {
			c = strings.TrimSpace(c)
			if !retryConditions[c] {
				p.fail(AnnotationRetryOn, fmt.Sprintf("%q is not a retry condition (5xx, gateway-error, reset, connect-failure, ...)", c))
				conditions = nil
				break
			}
			conditions = append(conditions, c)
		}
		p.policy.RetryOn = strings.Join(conditions, ",")
	}
	p.policy.PerTryTimeout = p.duration(AnnotationPerTryTimeout)
	if p.policy.Retries == 0 && (p.policy.RetryOn != "" || p.policy.PerTryTimeout != 0) {
		p.fail(AnnotationRetries, "retry-on and per-try-timeout need retries of at least 1")
		p.policy.RetryOn, p.policy.PerTryTimeout = "", 0
	}
}

// rateLimit reads "<requests>/<s|m|h>".
func (p *policyParser) rateLimit() {
	raw, ok := p.annotations[AnnotationRateLimit]
	if !ok {
		return
	}
	count, unit, found := strings.Cut(strings.TrimSpace(raw), "/")
	per := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[unit]
	n, err := strconv.ParseUint(count, 10, 32)
	if !found || per == 0 || err != nil || n == 0 {
		p.fail(AnnotationRateLimit, "must be requests per unit, such as 100/s, 6000/m or 50000/h")
		return
	}
	p.policy.RateLimit, p.policy.RateLimitPer = uint32(n), per
}

func (p *policyParser) faults() {
	if d := p.duration(AnnotationFaultDelay); d != 0 {
		p.policy.FaultDelay, p.policy.FaultDelayPercent = d, p.percent(AnnotationFaultDelayPercent)
	} else if _, ok := p.annotations[AnnotationFaultDelayPercent]; ok {
		p.fail(AnnotationFaultDelayPercent, "needs fault-delay")
	}
	if status, ok := p.number(AnnotationFaultAbort, 200, 599); ok {
		p.policy.FaultAbort, p.policy.FaultAbortPercent = int32(status), p.percent(AnnotationFaultAbortPercent)
	} else if _, ok := p.annotations[AnnotationFaultAbortPercent]; ok {
		p.fail(AnnotationFaultAbortPercent, "needs fault-abort")
	}
	if p.policy.FaultDelayPercent == 0 {
		p.policy.FaultDelay = 0
	}
	if p.policy.FaultAbortPercent == 0 {
		p.policy.FaultAbort = 0
	}
}

// canary reads "<header>=<value>" and the app it steers to.
func (p *policyParser) canary() {
	header, hasHeader := p.annotations[AnnotationCanaryHeader]
	app, hasApp := p.annotations[AnnotationCanaryApp]
	if !hasHeader && !hasApp {
		return
	}
	if !hasHeader || !hasApp {
		p.fail(AnnotationCanaryHeader, "canary-header and canary-app go together")
		return
	}
	name, value, found := strings.Cut(header, "=")
	name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
	if !found || name == "" || value == "" || !validHeaderName(name) {
		p.fail(AnnotationCanaryHeader, "must be <header-name>=<value>, such as x-canary=true")
		return
	}
	p.policy.CanaryHeader, p.policy.CanaryValue, p.policy.CanaryApp = name, value, strings.TrimSpace(app)
}

// validHeaderName accepts lower-case HTTP token characters (RFC 9110
// tchar), and refuses Host, which routing already uses.
func validHeaderName(name string) bool {
	if name == "host" {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", c)) {
			return false
		}
	}
	return true
}
