package meshbench

import (
	"encoding/json"
	"fmt"
	"net/netip"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/routeemitter"
)

// Domains of the benchmark foundation.
const (
	ExternalDomain = "apps.bench.example.com"
	InternalDomain = "apps.internal"
	// ContainerPort is every app's container port (Cloud Controller's
	// default).
	ContainerPort = 8080
	cells         = 500
	spaces        = 100
	spacesPerOrg  = 10
	// weightedEvery and internalEvery pick the routes with two weighted
	// destinations and the internal routes.
	weightedEvery = 20
	internalEvery = 10
	internalAt    = 5
)

// Foundation is the world the benchmark drives: Cloud Controller's apps
// and routes, and every running instance route-emitter registers. GUIDs
// are filled by Seed (the stand-in makes them) or Synthetic.
type Foundation struct {
	Size   Size
	Apps   []App
	Routes []Route
}

// App is one Cloud Controller app with one web process.
type App struct {
	Name, GUID, ProcessGUID string
	Space                   int
	// Internal apps are mapped to an internal route only: their instances
	// register over service-discovery.register with their container IP.
	Internal  bool
	Host      string // the host of the route the app is mapped to
	Instances []Instance
}

// Instance is one running app instance on a Diego cell.
type Instance struct {
	GUID        string
	Index       int
	CellIP      string
	HostPort    uint32
	TLSPort     uint32
	ContainerIP string
}

// Route is one Cloud Controller route and the apps it maps (indexes into
// Apps; two for a weighted route, 50/50 at first).
type Route struct {
	GUID     string
	Name     string // the route's host label
	Host     string // fully qualified
	Internal bool
	Apps     []int
}

// NewFoundation lays out a foundation of size: one app per route, a
// second (canary) app on every twentieth route with weights, every tenth
// route on the internal domain, and Size.Endpoints instances spread evenly
// over the apps on 500 cells.
func NewFoundation(size Size) *Foundation {
	f := &Foundation{Size: size}
	for i := range size.Routes {
		r := Route{Name: fmt.Sprintf("app-%05d", i)}
		r.Internal = i%internalEvery == internalAt
		r.Host = r.Name + "." + ExternalDomain
		if r.Internal {
			r.Host = r.Name + "." + InternalDomain
		}
		r.Apps = []int{f.addApp(r.Name, r.Host, i, r.Internal)}
		if i%weightedEvery == 0 {
			r.Apps = append(r.Apps, f.addApp(r.Name+"-canary", r.Host, i, false))
		}
		f.Routes = append(f.Routes, r)
	}
	f.placeInstances()
	return f
}

func (f *Foundation) addApp(name, host string, route int, internal bool) int {
	f.Apps = append(f.Apps, App{Name: name, Host: host, Space: route % spaces, Internal: internal})
	return len(f.Apps) - 1
}

// placeInstances spreads Size.Endpoints instances over the apps, each on a
// cell with its own host ports, and internal ones with a container IP in
// silk's default overlay network.
func (f *Foundation) placeInstances() {
	if len(f.Apps) == 0 {
		return
	}
	per, extra := f.Size.Endpoints/len(f.Apps), f.Size.Endpoints%len(f.Apps)
	nextPort := make([]uint32, cells)
	n := 0
	for a := range f.Apps {
		count := per
		if a < extra {
			count++
		}
		for i := range count {
			cell := n % cells
			if nextPort[cell] == 0 {
				nextPort[cell] = 61000
			}
			port := nextPort[cell]
			nextPort[cell] += 2
			f.Apps[a].Instances = append(f.Apps[a].Instances, Instance{
				Index: i, CellIP: fmt.Sprintf("10.0.%d.%d", cell/250, cell%250+1),
				HostPort: port, TLSPort: port + 1, ContainerIP: containerIP(n),
			})
			n++
		}
	}
}

// containerIP is instance n's address: in silk's default overlay network,
// 10.255.0.0/16, for the first 65,000 instances, then below it (10.254...),
// so that no two instances share one (a shared address is a workload the
// pilot refuses to serve).
func containerIP(n int) string {
	block, n := n/65000, n%65000+2
	return fmt.Sprintf("10.%d.%d.%d", 255-block, n/256, n%256)
}

// Synthetic gives every app, process, instance and route a made-up GUID,
// for benchmarks that do not seed a Cloud Controller.
func (f *Foundation) Synthetic() {
	for a := range f.Apps {
		f.Apps[a].GUID = guid(1, a)
		f.Apps[a].ProcessGUID = guid(2, a)
	}
	for r := range f.Routes {
		f.Routes[r].GUID = guid(3, r)
	}
	f.assignInstanceGUIDs()
}

func (f *Foundation) assignInstanceGUIDs() {
	n := 0
	for a := range f.Apps {
		for i := range f.Apps[a].Instances {
			f.Apps[a].Instances[i].GUID = guid(4, n)
			n++
		}
	}
}

func guid(kind, n int) string {
	return fmt.Sprintf("%08x-%04x-4000-8000-%012x", n, kind, n*7919)
}

// Message is the registration route-emitter publishes for one instance of
// app a: router.register with the cell's host ports for an external app,
// service-discovery.register with the container IP for an internal one.
func (f *Foundation) Message(a int, inst Instance) (subject string, msg routeemitter.Message) {
	app := f.Apps[a]
	ai := routeemitter.AppInstance{
		CellIP: inst.CellIP, HostPort: inst.HostPort, TLSHostPort: inst.TLSPort, ContainerIP: inst.ContainerIP,
		AppGUID: app.GUID, AppName: app.Name, ProcessGUID: app.ProcessGUID, InstanceGUID: inst.GUID, Index: inst.Index,
		SpaceGUID: fmt.Sprintf("space-%d", app.Space), SpaceName: fmt.Sprintf("space-%d", app.Space),
		OrgGUID: fmt.Sprintf("org-%d", app.Space/spacesPerOrg), OrgName: fmt.Sprintf("org-%d", app.Space/spacesPerOrg),
		AvailabilityZone: fmt.Sprintf("z%d", inst.Index%3+1),
	}
	if app.Internal {
		return "service-discovery.register", routeemitter.NewInternalRouteMessage(ai, app.Host)
	}
	return "router.register", routeemitter.NewAppInstanceMessage(ai, app.Host)
}

// Payloads encodes every instance's registration, in app order.
func (f *Foundation) Payloads() ([]Payload, error) {
	var out []Payload
	for a := range f.Apps {
		for _, inst := range f.Apps[a].Instances {
			p, err := f.payload(a, inst)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// Payload is one encoded registration.
type Payload struct {
	Subject string
	Data    []byte
}

func (f *Foundation) payload(a int, inst Instance) (Payload, error) {
	subject, msg := f.Message(a, inst)
	data, err := json.Marshal(msg)
	if err != nil {
		return Payload{}, fmt.Errorf("encode registration of %s: %w", f.Apps[a].Name, err)
	}
	return Payload{Subject: subject, Data: data}, nil
}

// Unregister is the unregistration of a registration's subject.
func Unregister(subject string) string {
	if subject == "service-discovery.register" {
		return "service-discovery.unregister"
	}
	return "router.unregister"
}

// SidecarInstances picks n instances of external apps, spread over the
// foundation, to run container sidecars; each gets its own loopback
// address as its container IP.
func (f *Foundation) SidecarInstances(n int) []SidecarInstance {
	var external []int
	for a, app := range f.Apps {
		if !app.Internal && len(app.Instances) > 0 {
			external = append(external, a)
		}
	}
	var out []SidecarInstance
	for i := 0; i < n && len(external) > 0; i++ {
		a := external[(i*7919)%len(external)]
		inst := f.Apps[a].Instances[i%len(f.Apps[a].Instances)]
		out = append(out, SidecarInstance{App: a, InstanceGUID: inst.GUID, IP: loopbackIP(1, i)})
	}
	return out
}

// SidecarInstance is an app instance whose container sidecar the harness
// simulates.
type SidecarInstance struct {
	App          int
	InstanceGUID string
	IP           netip.Addr
}

// loopbackIP is the i-th address of 127.<block>.0.0/16, skipping .0.
func loopbackIP(block, i int) netip.Addr {
	i++
	return netip.AddrFrom4([4]byte{127, byte(block), byte(i / 250), byte(i%250 + 1)})
}
