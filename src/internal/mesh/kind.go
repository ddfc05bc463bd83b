package mesh

import (
	"fmt"
	"strings"
)

// Kind is an Istio configuration kind the mesh carries.
type Kind string

// The kinds cf-mesh produces or consumes.
const (
	KindGateway             Kind = "Gateway"
	KindVirtualService      Kind = "VirtualService"
	KindDestinationRule     Kind = "DestinationRule"
	KindServiceEntry        Kind = "ServiceEntry"
	KindWorkloadEntry       Kind = "WorkloadEntry"
	KindSidecar             Kind = "Sidecar"
	KindAuthorizationPolicy Kind = "AuthorizationPolicy"
	KindPeerAuthentication  Kind = "PeerAuthentication"
)

// KindInfo describes how a kind is named on the wire.
type KindInfo struct {
	Kind Kind
	// Group is the API group, e.g. `networking.istio.io`.
	Group string
	// Versions are the API versions istiod has requested the kind under,
	// oldest first; the body proto is the same for all of them.
	Versions []string
	// ProtoName is the full name of the body message, e.g.
	// `istio.networking.v1alpha3.VirtualService`.
	ProtoName string
}

var kinds = []KindInfo{
	{KindGateway, "networking.istio.io", []string{"v1alpha3", "v1beta1", "v1"}, "istio.networking.v1alpha3.Gateway"},
	{KindVirtualService, "networking.istio.io", []string{"v1alpha3", "v1beta1", "v1"}, "istio.networking.v1alpha3.VirtualService"},
	{KindDestinationRule, "networking.istio.io", []string{"v1alpha3", "v1beta1", "v1"}, "istio.networking.v1alpha3.DestinationRule"},
	{KindServiceEntry, "networking.istio.io", []string{"v1alpha3", "v1beta1", "v1"}, "istio.networking.v1alpha3.ServiceEntry"},
	{KindWorkloadEntry, "networking.istio.io", []string{"v1alpha3", "v1beta1", "v1"}, "istio.networking.v1alpha3.WorkloadEntry"},
	{KindSidecar, "networking.istio.io", []string{"v1alpha3", "v1beta1", "v1"}, "istio.networking.v1alpha3.Sidecar"},
	{KindAuthorizationPolicy, "security.istio.io", []string{"v1beta1", "v1"}, "istio.security.v1beta1.AuthorizationPolicy"},
	{KindPeerAuthentication, "security.istio.io", []string{"v1beta1", "v1"}, "istio.security.v1beta1.PeerAuthentication"},
}

// Kinds lists every kind cf-mesh knows, in a fixed order.
func Kinds() []KindInfo {
	return append([]KindInfo(nil), kinds...)
}

// Info returns the wire description of k.
func (k Kind) Info() (KindInfo, bool) {
	for _, info := range kinds {
		if info.Kind == k {
			return info, true
		}
	}
	return KindInfo{}, false
}

// Collection returns the MCP-over-xDS type URL of k under version, e.g.
// `networking.istio.io/v1/VirtualService`.
func (info KindInfo) Collection(version string) string {
	return info.Group + "/" + version + "/" + string(info.Kind)
}

// ParseCollection maps an MCP-over-xDS type URL (`group/version/Kind`) to
// the kind it names. It accepts every version in KindInfo.Versions.
func ParseCollection(typeURL string) (Kind, error) {
	parts := strings.Split(typeURL, "/")
	if len(parts) != 3 {
		return "", fmt.Errorf("collection %q is not of the form group/version/Kind", typeURL)
	}
	for _, info := range kinds {
		if info.Group != parts[0] || string(info.Kind) != parts[2] {
			continue
		}
		for _, v := range info.Versions {
			if v == parts[1] {
				return info.Kind, nil
			}
		}
		return "", fmt.Errorf("collection %q: version %q of %s is not served", typeURL, parts[1], info.Kind)
	}
	return "", fmt.Errorf("collection %q: unknown kind", typeURL)
}
