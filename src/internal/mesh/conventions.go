package mesh

import "strings"

// Conventions cf-mesh's copilot writes and its pilot reads, where Istio's
// API has no field of its own (ADRs 7 and 9). A stock istiod ignores them.
const (
	// TLSProxyPortName names an endpoint's TLS port (gorouter's `tls_port`:
	// the container's Envoy proxy) in a ServiceEntry endpoint's ports. The
	// endpoint's serviceAccount is the SAN its certificate presents.
	TLSProxyPortName = "tls-proxy"
	// RateLimitAnnotationPrefix keys a VirtualService annotation carrying
	// one HTTP route's local rate limit:
	// `local-rate-limit.mesh.cloudfoundry.org/<HTTP route name>` = `<n>/<s|m|h>`.
	RateLimitAnnotationPrefix = "local-rate-limit.mesh.cloudfoundry.org/"
	// AppGUIDLabel labels a ServiceEntry endpoint (and selects workloads in
	// an AuthorizationPolicy) with the Cloud Controller GUID of the app the
	// instance belongs to.
	AppGUIDLabel = "cloudfoundry.org/app-guid"
	// ContainerNetwork is the WorkloadEntry network of endpoints whose
	// address is the instance's container IP (service discovery, or
	// route-emitter's direct-instance registrations); endpoints without it
	// are reached at the cell's IP and a host port. The pilot recognises a
	// container's sidecar by its container IP only in this network.
	ContainerNetwork = "cf-container-network"
)

// InstanceHost splits a per-instance host `<index>.<parent>`, the name
// service discovery gives each instance of an app mapped to the internal
// route `<parent>` (ADR 19); ok is false for any other host.
func InstanceHost(host string) (index, parent string, ok bool) {
	index, parent, found := strings.Cut(host, ".")
	if !found || index == "" || parent == "" || strings.Trim(index, "0123456789") != "" {
		return "", "", false
	}
	return index, parent, true
}
