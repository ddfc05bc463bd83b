package source

import (
	"fmt"
	"regexp"
	"strings"
)

// NetworkPolicies are cf-networking's container-to-container policies
// (the policy server's internal API): which app may reach which app's
// ports. Sorted by DestinationAppGUID, then SourceAppGUID, then ports.
//
// Together with route policies (DesiredRoute.RoutePolicies) they say who
// may call what over the mesh: a destination no policy names is open to
// every mesh member; one that policies name admits only their callers.
type NetworkPolicies []NetworkPolicy

// NetworkPolicy admits an app to another app's ports (cf-networking).
type NetworkPolicy struct {
	SourceAppGUID      string `json:"source_app_guid"`
	DestinationAppGUID string `json:"destination_app_guid"`
	// Protocol is `tcp` or `udp`; the mesh carries tcp only.
	Protocol string `json:"protocol"`
	// StartPort..EndPort is the destination port range, inclusive.
	StartPort uint32 `json:"start_port"`
	EndPort   uint32 `json:"end_port"`
}

// CallerKind is what a Caller names: an app, every app of a space or an
// organization, or anyone in the mesh.
type CallerKind string

// The caller kinds. They are the prefixes of the organizational units Diego
// writes into every instance identity certificate (`app:<guid>`,
// `space:<guid>`, `organization:<guid>`), which is how a callee recognises
// a caller.
const (
	CallerApp          CallerKind = "app"
	CallerSpace        CallerKind = "space"
	CallerOrganization CallerKind = "organization"
	CallerAny          CallerKind = "any"
)

// Caller names who may call: Kind and, unless Kind is CallerAny, a GUID.
type Caller struct {
	Kind CallerKind `json:"kind"`
	GUID string     `json:"guid,omitempty"`
}

// guidPattern is the shape of a Cloud Controller GUID: callers end up in
// certificate matchers, so nothing but hex digits and dashes gets through.
var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ParseCaller reads Cloud Controller's route policy source: `cf:app:<guid>`,
// `cf:space:<guid>`, `cf:org:<guid>` or `cf:any`.
func ParseCaller(s string) (Caller, error) {
	if s == "cf:any" {
		return Caller{Kind: CallerAny}, nil
	}
	kind, guid, ok := strings.Cut(strings.TrimPrefix(s, "cf:"), ":")
	if !ok || !strings.HasPrefix(s, "cf:") {
		return Caller{}, fmt.Errorf("route policy source %q: want cf:app:<guid>, cf:space:<guid>, cf:org:<guid> or cf:any", s)
	}
	var c Caller
	switch kind {
	case "app":
		c.Kind = CallerApp
	case "space":
		c.Kind = CallerSpace
	case "org":
		c.Kind = CallerOrganization
	default:
		return Caller{}, fmt.Errorf("route policy source %q: %q is neither app, space nor org", s, kind)
	}
	return NewCaller(c.Kind, guid)
}

// NewCaller checks a caller's GUID (it must look like a GUID) and builds it.
func NewCaller(kind CallerKind, guid string) (Caller, error) {
	if kind == CallerAny {
		return Caller{Kind: CallerAny}, nil
	}
	switch kind {
	case CallerApp, CallerSpace, CallerOrganization:
	default:
		return Caller{}, fmt.Errorf("caller kind %q is not app, space, organization or any", kind)
	}
	if !guidPattern.MatchString(guid) {
		return Caller{}, fmt.Errorf("%s caller %q is not a GUID", kind, guid)
	}
	return Caller{Kind: kind, GUID: strings.ToLower(guid)}, nil
}

// String is the caller as the mesh names principals: `app:<guid>`,
// `space:<guid>`, `organization:<guid>` (the certificate's OU), or `*`.
func (c Caller) String() string {
	if c.Kind == CallerAny {
		return "*"
	}
	return string(c.Kind) + ":" + c.GUID
}
