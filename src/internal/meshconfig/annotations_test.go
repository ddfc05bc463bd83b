package meshconfig_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/meshconfig"
)

var _ = Describe("ParseTrafficPolicy", func() {
	const p = meshconfig.AnnotationPrefix

	It("reads every annotation", func() {
		policy, errs := meshconfig.ParseTrafficPolicy(map[string]string{
			p + "timeout": "10s", p + "retries": "3", p + "retry-on": "5xx, connect-failure", p + "per-try-timeout": "2s",
			p + "rate-limit": "6000/m", p + "fault-delay": "1s", p + "fault-delay-percent": "2.5",
			p + "fault-abort": "503", p + "canary-header": "X-Canary = true", p + "canary-app": "app-guid",
			"other.example.com/owner": "someone",
		})
		Expect(errs).To(BeEmpty())
		Expect(policy).To(Equal(meshconfig.TrafficPolicy{
			Timeout: 10 * time.Second, Retries: 3, RetryOn: "5xx,connect-failure", PerTryTimeout: 2 * time.Second,
			RateLimit: 6000, RateLimitPer: time.Minute, FaultDelay: time.Second, FaultDelayPercent: 2.5,
			FaultAbort: 503, FaultAbortPercent: 100, CanaryHeader: "x-canary", CanaryValue: "true", CanaryApp: "app-guid",
		}))
	})

	It("asks for nothing without annotations", func() {
		policy, errs := meshconfig.ParseTrafficPolicy(nil)
		Expect(errs).To(BeEmpty())
		Expect(policy).To(BeZero())
	})

	DescribeTable("names the annotation and the reason, and keeps the others",
		func(annotations map[string]string, want string) {
			annotations[p+"timeout"] = "5s"
			policy, errs := meshconfig.ParseTrafficPolicy(annotations)
			Expect(errs).To(HaveLen(1))
			Expect(errs[0]).To(MatchError(ContainSubstring(want)))
			Expect(policy.Timeout).To(Equal(5*time.Second), "a good annotation beside a bad one still applies")
		},
		Entry("a typo", map[string]string{p + "timout": "2s"}, `annotation mesh.cloudfoundry.org/timout="2s": unknown cf-mesh annotation`),
		Entry("no unit", map[string]string{p + "per-try-timeout": "30", p + "retries": "1"}, "not a duration"),
		Entry("too long", map[string]string{p + "fault-delay": "2h"}, "at most 1h"),
		Entry("retries out of range", map[string]string{p + "retries": "11"}, "from 0 to 10"),
		Entry("an unknown retry condition", map[string]string{p + "retries": "2", p + "retry-on": "5xx,sometimes"}, `"sometimes" is not a retry condition`),
		Entry("retry-on without retries", map[string]string{p + "retry-on": "5xx"}, "need retries of at least 1"),
		Entry("a rate without unit", map[string]string{p + "rate-limit": "100"}, "such as 100/s"),
		Entry("a zero rate", map[string]string{p + "rate-limit": "0/s"}, "such as 100/s"),
		Entry("an abort status out of range", map[string]string{p + "fault-abort": "999"}, "from 200 to 599"),
		Entry("a percentage over 100", map[string]string{p + "fault-delay": "1s", p + "fault-delay-percent": "150"}, "at most 100"),
		Entry("a percentage without its fault", map[string]string{p + "fault-abort-percent": "5"}, "needs fault-abort"),
		Entry("a canary header without app", map[string]string{p + "canary-header": "x-canary=1"}, "go together"),
		Entry("a canary header without value", map[string]string{p + "canary-header": "x-canary", p + "canary-app": "a"}, "<header-name>=<value>"),
		Entry("a canary on Host", map[string]string{p + "canary-header": "host=a", p + "canary-app": "a"}, "<header-name>=<value>"),
	)
})
