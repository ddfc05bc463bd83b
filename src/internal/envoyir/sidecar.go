package envoyir

import (
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// scopeSidecars decides which mesh hosts container sidecars are configured
// for: without a Sidecar object every mesh host (Istio's default), with
// namespace-wide Sidecar objects the hosts their egress listeners name.
func (t *translation) scopeSidecars(resources []mesh.Resource) {
	var patterns []string
	scoped := false
	for _, r := range resources {
		sc := r.Spec.(*networking.Sidecar)
		if len(sc.GetWorkloadSelector().GetLabels()) > 0 {
			t.fail(r, "a Sidecar with a workload selector is not enforced; namespace-wide Sidecars are")
			continue
		}
		scoped = true
		for _, egress := range sc.GetEgress() {
			for _, h := range egress.GetHosts() {
				patterns = append(patterns, egressPattern(r.Namespace, h))
			}
		}
	}
	for _, h := range t.ir.MeshHosts {
		if !scoped || matchesAny(patterns, h.Name) {
			t.ir.SidecarHosts = append(t.ir.SidecarHosts, h.Name)
		}
	}
}

// egressPattern keeps the host part of `namespace/host` when the namespace
// is any (`*`), this one (`.`) or the Sidecar's own; other namespaces hold
// no cf-mesh host, so their patterns match nothing.
func egressPattern(namespace, host string) string {
	ns, name, found := strings.Cut(host, "/")
	if !found {
		return host
	}
	if ns == "*" || ns == "." || ns == namespace {
		return name
	}
	return ""
}

func matchesAny(patterns []string, host string) bool {
	for _, p := range patterns {
		switch {
		case p == "":
		case p == "*", p == host:
			return true
		case strings.HasPrefix(p, "*.") && strings.HasSuffix(host, p[1:]):
			return true
		}
	}
	return false
}
