package mesh

import (
	"fmt"
	"regexp"
	"strings"
)

// PrincipalKind is what an AuthorizationPolicy principal names, in Cloud
// Foundry terms: the organizational units Diego writes into every instance
// identity certificate (`OU=app:<guid>`, `OU=space:<guid>`,
// `OU=organization:<guid>`), or any caller with such a certificate.
type PrincipalKind string

// The principal kinds.
const (
	PrincipalApp          PrincipalKind = "app"
	PrincipalSpace        PrincipalKind = "space"
	PrincipalOrganization PrincipalKind = "organization"
	PrincipalAny          PrincipalKind = "*"
)

// Principal is one `source.principals` entry of an AuthorizationPolicy as
// cf-mesh writes it: `app:<guid>`, `space:<guid>`, `organization:<guid>`,
// or `*`.
type Principal struct {
	Kind PrincipalKind `json:"kind"`
	GUID string        `json:"guid,omitempty"`
}

// principalGUID is the shape of a Cloud Controller GUID; a principal ends up
// in a certificate matcher, so nothing else gets through.
var principalGUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// ParsePrincipal reads an AuthorizationPolicy principal.
func ParsePrincipal(s string) (Principal, error) {
	if s == string(PrincipalAny) {
		return Principal{Kind: PrincipalAny}, nil
	}
	kind, guid, _ := strings.Cut(s, ":")
	switch PrincipalKind(kind) {
	case PrincipalApp, PrincipalSpace, PrincipalOrganization:
	default:
		return Principal{}, fmt.Errorf("principal %q: want app:<guid>, space:<guid>, organization:<guid> or *", s)
	}
	if !principalGUID.MatchString(guid) {
		return Principal{}, fmt.Errorf("principal %q: %q is not a lower-case GUID", s, guid)
	}
	return Principal{Kind: PrincipalKind(kind), GUID: guid}, nil
}

// String is the principal as AuthorizationPolicies write it.
func (p Principal) String() string {
	if p.Kind == PrincipalAny {
		return string(PrincipalAny)
	}
	return string(p.Kind) + ":" + p.GUID
}

// OrganizationalUnit is the OU a caller's certificate carries when the
// principal names it; empty for PrincipalAny.
func (p Principal) OrganizationalUnit() string {
	if p.Kind == PrincipalAny {
		return ""
	}
	return p.String()
}
