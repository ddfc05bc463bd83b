package envoyir

import (
	"fmt"
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
	endpoints := 0
	for _, r := range resources {
		endpoints += len(r.Spec.(*networking.ServiceEntry).GetEndpoints())
	}
	// Sized up front: growing them was a fifth of indexing 100k endpoints.
	w := Workloads{ByInstance: make(map[string]string, endpoints), ByContainerIP: make(map[string]string, endpoints)}
	conflicts := map[string]bool{}
	ports := map[string]map[uint32]bool{}
	claim := func(index map[string]string, key, app string) {
		if other, ok := index[key]; ok && other != app {
			conflicts[key] = true
		}
		index[key] = app
	}
	for _, r := range resources {
		se := r.Spec.(*networking.ServiceEntry)
		for _, we := range se.GetEndpoints() {
			app := we.GetLabels()[mesh.AppGUIDLabel]
			if app == "" {
				continue
			}
			if sa := we.GetServiceAccount(); sa != "" {
				claim(w.ByInstance, sa, app)
			}
			if we.GetNetwork() == mesh.ContainerNetwork {
				claim(w.ByContainerIP, we.GetAddress(), app)
			}
			if ports[app] == nil {
				ports[app] = map[uint32]bool{}
			}
			t.appLabels[app] = append(t.appLabels[app], we.GetLabels())
			addEndpointServicePorts(ports[app], se, we)
		}
	}
	keys := make([]string, 0, len(conflicts))
	for key := range conflicts {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		t.errs = append(t.errs, fmt.Errorf("workload %s is claimed by two apps; a sidecar claiming it is not served", key))
		delete(w.ByInstance, key)
		delete(w.ByContainerIP, key)
	}
	t.ir.Workloads = w
	t.appPorts = ports
}

// addEndpointServicePorts adds the service ports an endpoint serves: those
// it maps by name, or every port of its ServiceEntry when it maps none (a
// TLS-only registration).
func addEndpointServicePorts(into map[uint32]bool, se *networking.ServiceEntry, we *networking.WorkloadEntry) {
	mapped := false
	for _, p := range se.GetPorts() {
		if _, ok := we.GetPorts()[p.GetName()]; ok {
			into[p.GetNumber()] = true
			mapped = true
		}
	}
	if mapped {
		return
	}
	for _, p := range se.GetPorts() {
		into[p.GetNumber()] = true
	}
}

// collectInbound pairs each app's ports with its authorization.
func (t *translation) collectInbound(authz map[string]*Authorization) {
	apps := make([]string, 0, len(t.appPorts))
	for app := range t.appPorts {
		apps = append(apps, app)
	}
	sort.Strings(apps)
	for _, app := range apps {
		var ports []uint32
		for p := range t.appPorts[app] {
			ports = append(ports, p)
		}
		sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
		t.ir.Inbound = append(t.ir.Inbound, InboundApp{AppGUID: app, Ports: ports, Authorization: authz[app]})
	}
}
