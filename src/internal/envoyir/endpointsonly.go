package envoyir

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// Decision (ADR 20, second amendment): a config that differs from the
// indexed one only in which instances serve its hosts is what
// route-emitter's churn brings. Its translation differs from the indexed
// one in its load assignments, which the endpoints-first path serves in
// full, and in which instance identities and container IPs the workloads
// map to their apps; nothing else reads a ServiceEntry's endpoints. The
// pilot may then hold its full translation back a while and coalesce it
// with the next ones.

// endpointsOnly reports whether cfg differs from the indexed config in
// nothing but the endpoints of ServiceEntries replaced in place (gone and
// came, as changedObjects gives them), each keeping everything else, and
// each naming the same apps with the same labels and service ports as
// before.
func (x EndpointIndex) endpointsOnly(cfg mesh.Config, gone, came []mesh.Resource) bool {
	if len(gone) != len(came) {
		return false
	}
	for i := range gone {
		if !replacedInPlace(gone[i], came[i]) {
			return false
		}
	}
	for _, info := range mesh.Kinds() {
		if info.Kind == mesh.KindServiceEntry {
			continue
		}
		if before, after := changedObjects(x.config.Of(info.Kind), cfg.Of(info.Kind)); len(before)+len(after) > 0 {
			return false
		}
	}
	return true
}

// replacedInPlace reports whether after is before with other endpoints of
// the same apps, labels and service ports: the same object key, metadata
// and every other field.
func replacedInPlace(before, after mesh.Resource) bool {
	if mesh.CompareKeys(before, after) != 0 || !maps.Equal(before.Labels, after.Labels) || !maps.Equal(before.Annotations, after.Annotations) {
		return false
	}
	old, new := before.Spec.(*networking.ServiceEntry), after.Spec.(*networking.ServiceEntry)
	return equalButEndpoints(old, new) && slices.Equal(workloadShapes(old), workloadShapes(new))
}

// equalButEndpoints compares two ServiceEntries field by field, endpoints
// left out (so a field the API gains is compared too).
func equalButEndpoints(a, b *networking.ServiceEntry) bool {
	ma, mb := a.ProtoReflect(), b.ProtoReflect()
	fields := ma.Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.Name() == "endpoints" {
			continue
		}
		if ma.Has(f) != mb.Has(f) || !ma.Get(f).Equal(mb.Get(f)) {
			return false
		}
	}
	return string(ma.GetUnknown()) == string(mb.GetUnknown())
}

// workloadShapes is what se's endpoints tell the workload index beyond
// instances and addresses: each app's labels and service ports, sorted
// and without repeats.
func workloadShapes(se *networking.ServiceEntry) []string {
	var out []string
	for _, c := range claimsOf(se) {
		labels := slices.Sorted(maps.Keys(c.labels))
		for i, k := range labels {
			labels[i] = k + "=" + c.labels[k]
		}
		out = append(out, fmt.Sprintf("%s\x00%s\x00%v", c.app, strings.Join(labels, "\x00"), c.ports))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// instanceHostsOnly reports whether every object cfg changed is a
// ServiceEntry replaced in place with other endpoints of the same apps
// (replacedInPlace), or one of per-instance hosts alone (instanceObject)
// that came or went; and whether no other kind changed.
func (x EndpointIndex) instanceHostsOnly(cfg mesh.Config) bool {
	for _, info := range mesh.Kinds() {
		gone, came := changedObjects(x.config.Of(info.Kind), cfg.Of(info.Kind))
		replaced := map[string]mesh.Resource{}
		for _, r := range gone {
			replaced[r.Key()] = r
		}
		for _, r := range came {
			before, ok := replaced[r.Key()]
			switch {
			case ok && (info.Kind != mesh.KindServiceEntry || !replacedInPlace(before, r)):
				return false
			case ok:
				delete(replaced, r.Key())
			case !instanceObject(r):
				return false
			}
		}
		for _, r := range replaced {
			if !instanceObject(r) {
				return false
			}
		}
	}
	return true
}

// instanceObject reports whether r is a ServiceEntry, a mesh-only
// VirtualService or a DestinationRule of per-instance hosts
// `<index>.<parent>` alone.
func instanceObject(r mesh.Resource) bool {
	var hosts []string
	switch spec := r.Spec.(type) {
	case *networking.ServiceEntry:
		hosts = spec.GetHosts()
	case *networking.VirtualService:
		if slices.ContainsFunc(spec.GetGateways(), func(g string) bool { return g != meshGateway }) {
			return false
		}
		hosts = spec.GetHosts()
	case *networking.DestinationRule:
		hosts = []string{spec.GetHost()}
	default:
		return false
	}
	return len(hosts) > 0 && !slices.ContainsFunc(hosts, func(h string) bool {
		_, _, ok := mesh.InstanceHost(h)
		return !ok
	})
}
