package testbed

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"

	"code.cloudfoundry.org/lager/v3"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/backend"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/launch"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/routeemitter"
)

// App is a pushed app: a Cloud Controller app with a web process, and its
// running instances.
type App struct {
	Name, GUID, ProcessGUID string

	mu        sync.Mutex
	instances []*Instance
	routes    []Route
}

// Instances are the app's running instances.
func (a *App) Instances() []*Instance {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*Instance(nil), a.instances...)
}

// Instance is one app instance: a backend listening on its own loopback
// address (its container IP) and the foundation's container port.
type Instance struct {
	// ID is what the backend answers with: "<app name>/<index>".
	ID    string
	GUID  string
	Index int
	IP    string
	// Backend is the running sample app; SetFailing breaks it.
	Backend *backend.Backend

	app           *App
	registrations map[string]registration // by route GUID
}

type registration struct {
	message  routeemitter.Message
	internal bool
}

// Address is the instance's ip:port.
func (i *Instance) Address() string { return i.Backend.Address() }

// PushApp creates an app with a web process in Cloud Controller and starts
// instances of it. Like `cf push --no-route`, it maps no route.
func (f *Foundation) PushApp(name string, instances int) (*App, error) {
	app := &App{Name: name, GUID: f.cc.AddApp(name)}
	app.ProcessGUID = f.cc.AddProcess(app.GUID, "web")
	f.mu.Lock()
	f.apps = append(f.apps, app)
	f.mu.Unlock()
	for range instances {
		if _, err := f.startInstance(app); err != nil {
			return nil, err
		}
	}
	f.logger.Info("app-pushed", lager.Data{"app": name, "guid": app.GUID, "instances": instances})
	return app, nil
}

// startInstance starts one more instance on the next free loopback address.
func (f *Foundation) startInstance(app *App) (*Instance, error) {
	app.mu.Lock()
	index := len(app.instances)
	app.mu.Unlock()
	id := fmt.Sprintf("%s/%d", app.Name, index)
	var lastErr error
	for range 20 {
		ip := f.nextContainerIP()
		b, err := backend.Start(id, net.JoinHostPort(ip, strconv.Itoa(int(f.containerPort))))
		if err != nil {
			lastErr = err
			continue
		}
		in := &Instance{ID: id, GUID: fmt.Sprintf("%s-instance-%d", app.GUID, index), Index: index, IP: ip,
			Backend: b, app: app, registrations: map[string]registration{}}
		app.mu.Lock()
		app.instances = append(app.instances, in)
		app.mu.Unlock()
		return in, nil
	}
	return nil, fmt.Errorf("starting instance %s: no loopback address took port %d (every instance has its own 127.0.x.y, which Linux provides; elsewhere alias them on lo): %w",
		id, f.containerPort, lastErr)
}

// firstContainerIP starts a foundation's container IPs at a random /24 of
// 127.0.0.0/8 (not 127.0.0.0/24), so two foundations on one machine rarely
// meet.
func firstContainerIP() int {
	return (1+rand.IntN(250))*256*256 + rand.IntN(256)*256 + 2
}

// nextContainerIP hands out the next loopback address, skipping .0 and
// .255 of every /24.
func (f *Foundation) nextContainerIP() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		n := f.nextIP
		f.nextIP++
		if b := n % 256; b != 0 && b != 255 {
			return fmt.Sprintf("127.%d.%d.%d", n/65536%256, n/256%256, b)
		}
	}
}

// pickContainerPort keeps the configured container port when an instance
// could listen on it, else takes a free one.
func (f *Foundation) pickContainerPort() (uint32, error) {
	probe := net.JoinHostPort(f.peekContainerIP(), strconv.Itoa(int(f.opts.ContainerPort)))
	lis, err := net.Listen("tcp", probe)
	if err == nil {
		lis.Close()
		return f.opts.ContainerPort, nil
	}
	free, ferr := launch.FreeAddress()
	if ferr != nil {
		return 0, ferr
	}
	f.logger.Info("container-port-taken", lager.Data{"wanted": f.opts.ContainerPort, "using": launch.PortOf(free), "reason": err.Error()})
	return launch.PortOf(free), nil
}

// peekContainerIP is the address nextContainerIP hands out next.
func (f *Foundation) peekContainerIP() string {
	f.mu.Lock()
	saved := f.nextIP
	f.mu.Unlock()
	ip := f.nextContainerIP()
	f.mu.Lock()
	f.nextIP = saved
	f.mu.Unlock()
	return ip
}

// AddInstance starts one more instance of app and registers it for every
// route the app is mapped to (a `cf scale -i` that Diego carried out).
func (f *Foundation) AddInstance(app *App) (*Instance, error) {
	in, err := f.startInstance(app)
	if err != nil {
		return nil, err
	}
	app.mu.Lock()
	routes := append([]Route(nil), app.routes...)
	app.mu.Unlock()
	for _, r := range routes {
		f.register(in, r)
	}
	return in, nil
}

// StopInstances does what Diego does once Cloud Controller stopped an app:
// route-emitter unregisters every instance from every route and the
// instances stop.
func (f *Foundation) StopInstances(app *App) {
	app.mu.Lock()
	instances := append([]*Instance(nil), app.instances...)
	app.instances = nil
	app.mu.Unlock()
	for _, in := range instances {
		app.mu.Lock()
		routeGUIDs := slices.Collect(maps.Keys(in.registrations))
		app.mu.Unlock()
		for _, routeGUID := range routeGUIDs {
			f.unregister(in, routeGUID)
		}
		_ = in.Backend.Stop()
	}
	f.logger.Info("instances-stopped", lager.Data{"app": app.Name, "instances": len(instances)})
}

// stopInstances stops every instance of every app (Stop).
func (f *Foundation) stopInstances() {
	f.mu.Lock()
	apps := append([]*App(nil), f.apps...)
	f.mu.Unlock()
	for _, app := range apps {
		for _, in := range app.Instances() {
			_ = in.Backend.Stop()
		}
	}
}

// InstanceAt finds the instance listening on address (ip:port), nil if
// none does.
func (f *Foundation) InstanceAt(address string) *Instance {
	f.mu.Lock()
	apps := append([]*App(nil), f.apps...)
	f.mu.Unlock()
	for _, app := range apps {
		for _, in := range app.Instances() {
			if in.Address() == address {
				return in
			}
		}
	}
	return nil
}

// ContainerPort is the port every instance listens on, and the port of
// every destination MapRoute creates.
func (f *Foundation) ContainerPort() uint32 { return f.containerPort }
