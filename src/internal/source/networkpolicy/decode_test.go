package networkpolicy_test

import (
	"errors"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/networkpolicy"
)

const (
	appA = "4a2d3627-0b8c-42d1-9563-22696eedc05d"
	appB = "eb95ff20-cba8-4edc-8f4a-cf80d0669faf"
	appC = "b611f7e6-c8fe-41cb-b150-92581aafa5c2"
)

// policyJSON is one entry as the policy server writes it.
func policyJSON(src, dst, protocol string, start, end int) string {
	return fmt.Sprintf(`{"source":{"id":%q,"tag":"0001"},"destination":{"id":%q,"tag":"0002","protocol":%q,"ports":{"start":%d,"end":%d}}}`,
		src, dst, protocol, start, end)
}

func listJSON(entries ...string) string {
	return fmt.Sprintf(`{"total_policies":%d,"policies":[%s]}`, len(entries), strings.Join(entries, ","))
}

func reasons(errs []error) []string {
	var out []string
	for _, err := range errs {
		var perr *networkpolicy.PolicyError
		ExpectWithOffset(1, errors.As(err, &perr)).To(BeTrue(), "%v is a *PolicyError", err)
		out = append(out, perr.Reason)
	}
	return out
}

var _ = Describe("Decode", func() {
	It("reads the policy server's documented example, sorted by destination, then source", func() {
		// docs/08-policy-server-api.md, "Get all policies" (ports trimmed to two entries).
		data := `{"total_policies":2,"policies":[
			{"destination":{"id":"eb95ff20-cba8-4edc-8f4a-cf80d0669faf","ports":{"end":8090,"start":8080},"protocol":"tcp","tag":"0002"},"source":{"id":"4a2d3627-0b8c-42d1-9563-22696eedc05d","tag":"0001"}},
			{"destination":{"id":"b611f7e6-c8fe-41cb-b150-92581aafa5c2","ports":{"end":8080,"start":8080},"protocol":"tcp","tag":"0004"},"source":{"id":"3b348978-a3cb-487c-a277-58fdc3e2c678","tag":"0003"}}
		],"egress_policies":[]}`
		policies, rejected, err := networkpolicy.Decode([]byte(data))
		Expect(err).NotTo(HaveOccurred())
		Expect(rejected).To(BeEmpty())
		Expect(policies).To(Equal(source.NetworkPolicies{
			{SourceAppGUID: "3b348978-a3cb-487c-a277-58fdc3e2c678", DestinationAppGUID: appC, Protocol: "tcp", StartPort: 8080, EndPort: 8080},
			{SourceAppGUID: appA, DestinationAppGUID: appB, Protocol: "tcp", StartPort: 8080, EndPort: 8090},
		}))
	})

	It("returns an empty, non-nil list when there are no policies", func() {
		policies, rejected, err := networkpolicy.Decode([]byte(`{"total_policies":0,"policies":[]}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(rejected).To(BeEmpty())
		Expect(policies).NotTo(BeNil())
		Expect(policies).To(BeEmpty())
	})

	It("lowers GUIDs and drops duplicates", func() {
		policies, _, err := networkpolicy.Decode([]byte(listJSON(
			policyJSON(strings.ToUpper(appA), appB, "tcp", 8080, 8080),
			policyJSON(appA, appB, "tcp", 8080, 8080),
			policyJSON(appA, appB, "udp", 8080, 8080),
			policyJSON(appA, appB, "tcp", 1, 65535),
		)))
		Expect(err).NotTo(HaveOccurred())
		Expect(policies).To(Equal(source.NetworkPolicies{
			{SourceAppGUID: appA, DestinationAppGUID: appB, Protocol: "tcp", StartPort: 1, EndPort: 65535},
			{SourceAppGUID: appA, DestinationAppGUID: appB, Protocol: "tcp", StartPort: 8080, EndPort: 8080},
			{SourceAppGUID: appA, DestinationAppGUID: appB, Protocol: "udp", StartPort: 8080, EndPort: 8080},
		}))
	})

	DescribeTable("drops a bad entry, names it, and keeps the rest",
		func(bad, reason string) {
			good := policyJSON(appA, appB, "tcp", 8080, 8080)
			policies, rejected, err := networkpolicy.Decode([]byte(listJSON(good, bad)))
			Expect(err).NotTo(HaveOccurred())
			Expect(policies).To(HaveLen(1))
			Expect(policies[0].SourceAppGUID).To(Equal(appA))
			Expect(rejected).To(HaveLen(1))
			Expect(reasons(rejected)).To(ConsistOf(ContainSubstring(reason)))
			Expect(rejected[0].Error()).To(HavePrefix("policies[1] "))
		},
		Entry("a source that is not a GUID", policyJSON("INGRESS_ROUTER", appB, "tcp", 8080, 8080), "source id is not an app GUID"),
		Entry("a destination that is not a GUID", policyJSON(appA, "d5bbc5ed", "tcp", 8080, 8080), "destination id is not an app GUID"),
		Entry("no source", `{"destination":{"id":"`+appB+`","protocol":"tcp","ports":{"start":1,"end":2}}}`, "source id is not an app GUID"),
		Entry("port 0", policyJSON(appA, appB, "tcp", 0, 8080), "start port 0 is out of range 1..65535"),
		Entry("no ports at all", `{"source":{"id":"`+appA+`"},"destination":{"id":"`+appB+`","protocol":"tcp"}}`, "start port 0 is out of range"),
		Entry("a port above 65535", policyJSON(appA, appB, "tcp", 8080, 65536), "end port 65536 is out of range 1..65535"),
		Entry("a negative port", policyJSON(appA, appB, "tcp", -1, 10), "start port -1 is out of range"),
		Entry("a range that runs backwards", policyJSON(appA, appB, "tcp", 9000, 8000), "port range 9000-8000 runs backwards"),
		Entry("an unknown protocol", policyJSON(appA, appB, "icmp", 8080, 8080), `protocol "icmp" is neither tcp nor udp`),
		Entry("an upper-case protocol", policyJSON(appA, appB, "TCP", 8080, 8080), `protocol "TCP" is neither tcp nor udp`),
		Entry("a port that is not an integer", `{"source":{"id":"`+appA+`"},"destination":{"id":"`+appB+`","protocol":"tcp","ports":{"start":80.5,"end":81}}}`, "not a policy object"),
		Entry("a string for an entry", `"policy"`, "not a policy object"),
		Entry("null for an entry", `null`, "not a policy object"),
	)

	It("names the offending entry by its ids, cut short when they are long", func() {
		long := strings.Repeat("x", 500)
		_, rejected, err := networkpolicy.Decode([]byte(listJSON(policyJSON(long, appB, "tcp", 1, 1))))
		Expect(err).NotTo(HaveOccurred())
		Expect(rejected).To(HaveLen(1))
		var perr *networkpolicy.PolicyError
		Expect(errors.As(rejected[0], &perr)).To(BeTrue())
		Expect(perr.SourceID).To(Equal(long))
		Expect(perr.DestinationID).To(Equal(appB))
		Expect(len(perr.Error())).To(BeNumerically("<", 250))
		Expect(perr.Error()).To(ContainSubstring(appB))
	})

	DescribeTable("refuses a response that is not a policy list, rather than reading it as none",
		func(data, want string) {
			policies, rejected, err := networkpolicy.Decode([]byte(data))
			Expect(err).To(MatchError(ContainSubstring(want)))
			Expect(policies).To(BeNil())
			Expect(rejected).To(BeNil())
		},
		Entry("not JSON", `<html>502 Bad Gateway</html>`, "decoding the policy list"),
		Entry("empty", ``, "decoding the policy list"),
		Entry("an array", `[]`, "decoding the policy list"),
		Entry("no policies", `{"total_policies":0}`, "has no policies array"),
		Entry("null policies", `{"total_policies":0,"policies":null}`, "has no policies array"),
		Entry("policies that are no list", `{"policies":{}}`, "decoding the policy list"),
		Entry("a total that disagrees (a truncated list)", `{"total_policies":3,"policies":[]}`, "says total_policies 3 but holds 0"),
	)

	It("accepts a list without total_policies (older servers)", func() {
		policies, _, err := networkpolicy.Decode([]byte(`{"policies":[` + policyJSON(appA, appB, "udp", 53, 53) + `]}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(policies).To(HaveLen(1))
	})
})
