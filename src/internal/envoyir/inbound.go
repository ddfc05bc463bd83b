package envoyir

import (
	"fmt"
	"maps"
	"slices"
	"sort"

	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// Workloads identify the app instance behind a connecting container
// sidecar or proxyless gRPC server, from what the mesh config says of its
// endpoints.
type Workloads struct {
	// ByInstance maps an instance GUID (the identity an endpoint's
	// certificate presents, its serviceAccount) to the instance's app.
	ByInstance map[string]string `json:"by_instance,omitempty"`
	// ByContainerIP maps a container IP (endpoints in
	// mesh.ContainerNetwork) to the instance's app.
	ByContainerIP map[string]string `json:"by_container_ip,omitempty"`
}

// AppOf finds the app of the instance with this GUID at this container IP.
// Both ways must agree when both know the instance.
func (w Workloads) AppOf(instanceGUID, containerIP string) (string, bool) {
	byInstance, knownInstance := w.ByInstance[instanceGUID]
	byIP, knownIP := w.ByContainerIP[containerIP]
	switch {
	case knownInstance && knownIP:
		return byInstance, byInstance == byIP
	case knownInstance:
		return byInstance, true
	case knownIP:
		return byIP, true
	}
	return "", false
}

// InboundApp is what one app serves over the mesh: the container ports its
// instances receive mesh traffic on, and who may call it.
type InboundApp struct {
	AppGUID string `json:"app_guid"`
	// Ports are sorted.
	Ports []uint32 `json:"ports"`
	// Authorization is nil when no policy governs the app: every caller
	// with an instance identity is admitted.
	Authorization *Authorization `json:"authorization,omitempty"`
}

// indexWorkloads learns each app's instances and ports from the
// ServiceEntry endpoints labelled with their app. An instance or container
// IP claimed by two apps is trusted for neither.
func (t *translation) indexWorkloads(resources []mesh.Resource) {
	t.workloads.update(resources)
	keys := make([]string, 0, len(t.workloads.conflicts))
	for key := range t.workloads.conflicts {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		t.errs = append(t.errs, fmt.Errorf("workload %s is claimed by two apps; a sidecar claiming it is not served", key))
	}
	t.ir.Workloads = t.workloads.workloads
}

// endpointServicePorts lists the service ports an endpoint serves: those
// it maps by name, or every port of its ServiceEntry when it maps none (a
// TLS-only registration).
func endpointServicePorts(se *networking.ServiceEntry, we *networking.WorkloadEntry) []uint32 {
	var mapped []uint32
	for _, p := range se.GetPorts() {
		if _, ok := we.GetPorts()[p.GetName()]; ok {
			mapped = append(mapped, p.GetNumber())
		}
	}
	if len(mapped) > 0 {
		return mapped
	}
	all := make([]uint32, 0, len(se.GetPorts()))
	for _, p := range se.GetPorts() {
		all = append(all, p.GetNumber())
	}
	return all
}

// collectInbound pairs each app's ports with its authorization.
func (t *translation) collectInbound(authz map[string]*Authorization) {
	apps := slices.Sorted(maps.Keys(t.workloads.appPorts))
	t.ir.Inbound = make([]InboundApp, 0, len(apps))
	for _, app := range apps {
		t.ir.Inbound = append(t.ir.Inbound, InboundApp{AppGUID: app, Ports: t.workloads.appPorts[app], Authorization: authz[app]})
	}
}
