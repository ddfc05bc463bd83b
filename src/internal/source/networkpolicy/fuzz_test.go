package networkpolicy_test

import (
	"errors"
	"slices"
	"testing"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/networkpolicy"
)

// FuzzDecode: whatever the policy server (or something in its place)
// answers, Decode never panics; it either refuses the whole response or
// returns policies that are valid, sorted and unique, plus one
// *PolicyError per dropped entry.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		listJSON(policyJSON(appA, appB, "tcp", 8080, 8090), policyJSON(appC, appA, "udp", 53, 53)),
		listJSON(policyJSON(appA, appB, "tcp", 8080, 8080), policyJSON(appA, appB, "tcp", 8080, 8080)),
		listJSON(policyJSON("INGRESS_ROUTER", appB, "tcp", 0, 70000), `null`, `7`, `{"source":[]}`),
		`{"total_policies":1,"policies":[{"source":{"id":"` + appA + `"},"destination":{"id":"` + appB + `","protocol":"tcp","ports":{"start":9,"end":8}}}]}`,
		`{"total_policies":0,"policies":[],"egress_policies":[{"source":{"id":"x"}}]}`,
		`{"policies":null}`, `{"total_policies":-1,"policies":[]}`, `[]`, `null`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		policies, rejected, err := networkpolicy.Decode(data)
		if err != nil {
			if policies != nil || rejected != nil {
				t.Fatalf("refused the response (%v) but returned %v and %v", err, policies, rejected)
			}
			return
		}
		if policies == nil {
			t.Fatal("accepted a response but returned nil policies")
		}
		for _, p := range policies {
			checkPolicy(t, p)
		}
		if !slices.IsSortedFunc(policies, func(a, b source.NetworkPolicy) int {
			if a == b {
				return 0
			}
			if a.DestinationAppGUID != b.DestinationAppGUID {
				return compareStrings(a.DestinationAppGUID, b.DestinationAppGUID)
			}
			return compareStrings(a.SourceAppGUID, b.SourceAppGUID)
		}) {
			t.Fatalf("policies are not sorted: %v", policies)
		}
		for i := 1; i < len(policies); i++ {
			if policies[i] == policies[i-1] {
				t.Fatalf("duplicate policy %v", policies[i])
			}
		}
		for _, r := range rejected {
			var perr *networkpolicy.PolicyError
			if !errors.As(r, &perr) {
				t.Fatalf("rejection %v is not a *PolicyError", r)
			}
		}
	})
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func checkPolicy(t *testing.T, p source.NetworkPolicy) {
	t.Helper()
	for _, id := range []string{p.SourceAppGUID, p.DestinationAppGUID} {
		if c, err := source.NewCaller(source.CallerApp, id); err != nil || c.GUID != id {
			t.Fatalf("accepted %q, which is not a lower-case GUID", id)
		}
	}
	if p.Protocol != networkpolicy.ProtocolTCP && p.Protocol != networkpolicy.ProtocolUDP {
		t.Fatalf("accepted protocol %q", p.Protocol)
	}
	if p.StartPort < 1 || p.EndPort > networkpolicy.MaxPort || p.StartPort > p.EndPort {
		t.Fatalf("accepted ports %d-%d", p.StartPort, p.EndPort)
	}
}
