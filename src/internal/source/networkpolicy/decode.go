package networkpolicy

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// Path is the policy server's internal API endpoint that lists every
// container-to-container policy.
const Path = "/networking/v1/internal/policies"

// The protocols a policy may allow (cf-networking's policy validator).
const (
	ProtocolTCP = "tcp"
	ProtocolUDP = "udp"
)

// MaxPort is the highest port a policy may name; ports start at 1.
const MaxPort = 65535

// PolicyError reports one entry of the policy list that Decode dropped,
// and why.
type PolicyError struct {
	// Index is the entry's position in the response's `policies`.
	Index int
	// SourceID and DestinationID are the entry's `source.id` and
	// `destination.id` as the policy server sent them (possibly empty).
	SourceID, DestinationID string
	// Reason says what is wrong with it.
	Reason string
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("policies[%d] (source %s, destination %s) dropped: %s",
		e.Index, quoteShort(e.SourceID), quoteShort(e.DestinationID), e.Reason)
}

// quoteShort quotes an ID for a message, cut short: IDs come from outside
// and may be anything.
func quoteShort(s string) string {
	const limit = 64
	if len(s) > limit {
		return fmt.Sprintf("%q…", s[:limit])
	}
	return fmt.Sprintf("%q", s)
}

// response is the internal API's answer (cf-networking policy-server
// api.PoliciesPayload). Entries stay raw so that one malformed entry is
// dropped alone.
type response struct {
	TotalPolicies *int              `json:"total_policies"`
	Policies      []json.RawMessage `json:"policies"`
}

// entry is one policy (api.Policy). Tags are the policy server's VXLAN
// group tags: the mesh has no use for them.
type entry struct {
	Source struct {
		ID string `json:"id"`
	} `json:"source"`
	Destination struct {
		ID       string `json:"id"`
		Protocol string `json:"protocol"`
		Ports    struct {
			Start int64 `json:"start"`
			End   int64 `json:"end"`
		} `json:"ports"`
	} `json:"destination"`
}

// Decode reads the internal API's policy list. It returns the valid
// policies, sorted (source.NetworkPolicies' order) and without duplicates,
// never nil; each dropped entry as a *PolicyError in rejected; and err when
// the response as a whole is unusable, in which case nothing else is
// returned.
func Decode(data []byte) (policies source.NetworkPolicies, rejected []error, err error) {
	var resp response
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, nil, fmt.Errorf("decoding the policy list: %w", err)
	}
	if resp.Policies == nil {
		return nil, nil, errors.New("the policy list has no policies array")
	}
	if resp.TotalPolicies != nil && *resp.TotalPolicies != len(resp.Policies) {
		return nil, nil, fmt.Errorf("the policy list says total_policies %d but holds %d", *resp.TotalPolicies, len(resp.Policies))
	}
	policies = make(source.NetworkPolicies, 0, len(resp.Policies))
	for i, raw := range resp.Policies {
		p, perr := decodeEntry(i, raw)
		if perr != nil {
			rejected = append(rejected, perr)
			continue
		}
		policies = append(policies, p)
	}
	slices.SortFunc(policies, compare)
	return slices.Compact(policies), rejected, nil
}

// decodeEntry checks one entry against the policy server's own rules
// (api.PolicyValidator) plus what the mesh needs: app GUIDs.
func decodeEntry(i int, raw json.RawMessage) (source.NetworkPolicy, *PolicyError) {
	var e entry
	if err := json.Unmarshal(raw, &e); err != nil || string(raw) == "null" {
		reason := "not a policy object"
		if err != nil {
			reason = fmt.Sprintf("not a policy object: %v", err)
		}
		return source.NetworkPolicy{}, &PolicyError{Index: i, Reason: reason}
	}
	d := e.Destination
	fail := func(format string, args ...any) (source.NetworkPolicy, *PolicyError) {
		return source.NetworkPolicy{}, &PolicyError{Index: i, SourceID: e.Source.ID, DestinationID: d.ID, Reason: fmt.Sprintf(format, args...)}
	}
	src, err := source.NewCaller(source.CallerApp, e.Source.ID)
	if err != nil {
		return fail("source id is not an app GUID")
	}
	dst, err := source.NewCaller(source.CallerApp, d.ID)
	if err != nil {
		return fail("destination id is not an app GUID")
	}
	switch {
	case d.Protocol != ProtocolTCP && d.Protocol != ProtocolUDP:
		return fail("protocol %s is neither tcp nor udp", quoteShort(d.Protocol))
	case d.Ports.Start < 1 || d.Ports.Start > MaxPort:
		return fail("start port %d is out of range 1..%d", d.Ports.Start, MaxPort)
	case d.Ports.End < 1 || d.Ports.End > MaxPort:
		return fail("end port %d is out of range 1..%d", d.Ports.End, MaxPort)
	case d.Ports.Start > d.Ports.End:
		return fail("port range %d-%d runs backwards", d.Ports.Start, d.Ports.End)
	}
	return source.NetworkPolicy{
		SourceAppGUID:      src.GUID,
		DestinationAppGUID: dst.GUID,
		Protocol:           d.Protocol,
		StartPort:          uint32(d.Ports.Start),
		EndPort:            uint32(d.Ports.End),
	}, nil
}

// compare orders policies as source.NetworkPolicies documents: by
// destination app, source app, then ports (and protocol, for a total order).
func compare(a, b source.NetworkPolicy) int {
	return cmp.Or(
		cmp.Compare(a.DestinationAppGUID, b.DestinationAppGUID),
		cmp.Compare(a.SourceAppGUID, b.SourceAppGUID),
		cmp.Compare(a.StartPort, b.StartPort),
		cmp.Compare(a.EndPort, b.EndPort),
		cmp.Compare(a.Protocol, b.Protocol),
	)
}
