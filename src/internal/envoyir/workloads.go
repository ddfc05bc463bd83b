package envoyir

import (
	"maps"
	"slices"

	networking "istio.io/api/networking/v1alpha3"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// workloadIndex counts what the ServiceEntry endpoints of a translation
// claim: which app each instance identity and container IP belongs to,
// the service ports each app serves, and each app's endpoint labels. A
// Translator keeps it between translations and applies only the
// ServiceEntries that came or went (issue 8: re-indexing 100,000
// endpoints was a third of a translation); Translate builds a fresh one.
type workloadIndex struct {
	// included are the ServiceEntries counted, with their claims.
	included     map[*networking.ServiceEntry][]workloadClaim
	instances    map[string]owners
	containerIPs map[string]owners
	apps         map[string]int32            // claims, by app
	ports        map[string]map[uint32]int32 // by app, counted
	labels       map[string]map[*networking.ServiceEntry][]map[string]string
	// workloads is built from the counts. It is shared with the IRs that
	// hold it, so it is never modified: a change patches a copy.
	workloads Workloads
	// conflicts are the keys claimed by two apps in either index.
	conflicts map[string]bool
	// appPorts holds each app's sorted service ports, rebuilt for the apps
	// a change touched.
	appPorts map[string][]uint32
}

// owners counts the claims on one key: by its first app, and by others.
type owners struct {
	app    string
	n      int32
	others map[string]int32
}

func newWorkloadIndex() *workloadIndex {
	return &workloadIndex{
		included:     map[*networking.ServiceEntry][]workloadClaim{},
		instances:    map[string]owners{},
		containerIPs: map[string]owners{},
		apps:         map[string]int32{},
		ports:        map[string]map[uint32]int32{},
		labels:       map[string]map[*networking.ServiceEntry][]map[string]string{},
		workloads:    Workloads{ByInstance: map[string]string{}, ByContainerIP: map[string]string{}},
		conflicts:    map[string]bool{},
		appPorts:     map[string][]uint32{},
	}
}

// workloadChange is what an update touched.
type workloadChange struct {
	keys map[string]bool // instance identities and container IPs
	apps map[string]bool
}

// update makes the index count exactly the ServiceEntries of resources.
func (x *workloadIndex) update(resources []mesh.Resource) {
	change := workloadChange{keys: map[string]bool{}, apps: map[string]bool{}}
	current := make(map[*networking.ServiceEntry]bool, len(resources))
	for _, r := range resources {
		se := r.Spec.(*networking.ServiceEntry)
		current[se] = true
		if _, ok := x.included[se]; !ok {
			claims := claimsOf(se)
			x.included[se] = claims
			x.count(se, claims, 1, change)
		}
	}
	for se, claims := range x.included {
		if !current[se] {
			delete(x.included, se)
			x.count(se, claims, -1, change)
		}
	}
	x.rebuild(change)
}

// workloadClaim is what one ServiceEntry endpoint says of its instance.
type workloadClaim struct {
	app         string
	instance    string // its certificate's identity; "" when none
	containerIP string // "" unless in mesh.ContainerNetwork
	labels      map[string]string
	ports       []uint32 // the service ports it serves
}

// claimsOf lists the claims of se's endpoints that name an app.
func claimsOf(se *networking.ServiceEntry) []workloadClaim {
	var claims []workloadClaim
	for _, we := range se.GetEndpoints() {
		app := we.GetLabels()[mesh.AppGUIDLabel]
		if app == "" {
			continue
		}
		c := workloadClaim{app: app, instance: we.GetServiceAccount(), labels: we.GetLabels(), ports: endpointServicePorts(se, we)}
		if we.GetNetwork() == mesh.ContainerNetwork {
			c.containerIP = we.GetAddress()
		}
		claims = append(claims, c)
	}
	return claims
}

// count adds (delta 1) or removes (-1) the claims of se.
func (x *workloadIndex) count(se *networking.ServiceEntry, claims []workloadClaim, delta int32, change workloadChange) {
	for _, c := range claims {
		if c.instance != "" {
			x.instances[c.instance] = x.instances[c.instance].add(c.app, delta)
			change.keys[c.instance] = true
		}
		if c.containerIP != "" {
			x.containerIPs[c.containerIP] = x.containerIPs[c.containerIP].add(c.app, delta)
			change.keys[c.containerIP] = true
		}
		change.apps[c.app] = true
		if x.apps[c.app] += delta; x.apps[c.app] == 0 {
			delete(x.apps, c.app)
		}
		x.countPorts(c.app, c.ports, delta)
		x.countLabels(se, c, delta)
	}
}

func (x *workloadIndex) countPorts(app string, ports []uint32, delta int32) {
	counted := x.ports[app]
	if counted == nil {
		counted = map[uint32]int32{}
		x.ports[app] = counted
	}
	for _, p := range ports {
		if counted[p] += delta; counted[p] == 0 {
			delete(counted, p)
		}
	}
}

func (x *workloadIndex) countLabels(se *networking.ServiceEntry, c workloadClaim, delta int32) {
	bySE := x.labels[c.app]
	if delta < 0 {
		delete(bySE, se) // all of se's label sets of the app at once
		if len(bySE) == 0 {
			delete(x.labels, c.app)
		}
		return
	}
	if bySE == nil {
		bySE = map[*networking.ServiceEntry][]map[string]string{}
		x.labels[c.app] = bySE
	}
	bySE[se] = append(bySE[se], c.labels)
}

// add counts delta claims of app.
func (o owners) add(app string, delta int32) owners {
	switch {
	case o.n == 0 && len(o.others) == 0:
		return owners{app: app, n: delta}
	case app == o.app:
		o.n += delta
	default:
		if o.others == nil {
			o.others = map[string]int32{}
		}
		if o.others[app] += delta; o.others[app] == 0 {
			delete(o.others, app)
		}
	}
	if o.n == 0 {
		for other, n := range o.others { // promote any remaining app
			o = owners{app: other, n: n, others: o.others}
			delete(o.others, other)
			break
		}
	}
	return o
}

// sole is the one app claiming the key, if exactly one does.
func (o owners) sole() (string, bool) {
	return o.app, o.n > 0 && len(o.others) == 0
}

func (o owners) claimed() bool { return o.n > 0 }

// rebuild brings workloads, conflicts and appPorts up to date for what
// change touched.
func (x *workloadIndex) rebuild(change workloadChange) {
	if len(change.keys) > 0 {
		w := Workloads{ByInstance: maps.Clone(x.workloads.ByInstance), ByContainerIP: maps.Clone(x.workloads.ByContainerIP)}
		if len(w.ByInstance)+len(w.ByContainerIP) == 0 { // a first build: sized up front
			w = Workloads{ByInstance: make(map[string]string, len(x.instances)), ByContainerIP: make(map[string]string, len(x.containerIPs))}
		}
		for key := range change.keys {
			x.rebuildKey(w, key)
		}
		x.workloads = w
	}
	for app := range change.apps {
		if x.apps[app] == 0 {
			delete(x.appPorts, app)
			delete(x.ports, app)
			continue
		}
		x.appPorts[app] = slices.Sorted(maps.Keys(x.ports[app]))
	}
}

// rebuildKey sets one key in w: an instance identity or container IP
// claimed by two apps is trusted for neither (and named in neither index).
func (x *workloadIndex) rebuildKey(w Workloads, key string) {
	instance, ip := x.instances[key], x.containerIPs[key]
	if !instance.claimed() {
		delete(x.instances, key)
	}
	if !ip.claimed() {
		delete(x.containerIPs, key)
	}
	byInstance, soleInstance := instance.sole()
	byIP, soleIP := ip.sole()
	conflict := (instance.claimed() && !soleInstance) || (ip.claimed() && !soleIP)
	delete(x.conflicts, key)
	delete(w.ByInstance, key)
	delete(w.ByContainerIP, key)
	switch {
	case conflict:
		x.conflicts[key] = true
	default:
		if soleInstance {
			w.ByInstance[key] = byInstance
		}
		if soleIP {
			w.ByContainerIP[key] = byIP
		}
	}
}

// selects reports whether one of app's endpoints carries every label of
// selector.
func (x *workloadIndex) selects(app string, selector map[string]string) bool {
	for _, sets := range x.labels[app] {
		for _, labels := range sets {
			if labelsMatch(labels, selector) {
				return true
			}
		}
	}
	return false
}
