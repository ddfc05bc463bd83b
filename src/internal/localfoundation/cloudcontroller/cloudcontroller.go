package cloudcontroller

import (
	"crypto/rand"
	"fmt"
	"maps"
	"net/http"
	"sync"
	"time"
)

// Defaults for Options left empty.
const (
	DefaultClientID      = "cf-mesh-copilot"
	DefaultClientSecret  = "cf-mesh-copilot-secret"
	DefaultTokenLifetime = 10 * time.Minute
	DefaultAPIVersion    = "3.180.0"
)

// Options configure a CloudController. The zero value is usable.
type Options struct {
	// ClientID and ClientSecret are the only UAA client the stand-in
	// accepts. Defaults: DefaultClientID, DefaultClientSecret.
	ClientID     string
	ClientSecret string
	// TokenLifetime is how long an access token stays valid, advertised as
	// `expires_in` (rounded up to whole seconds). Default
	// DefaultTokenLifetime.
	TokenLifetime time.Duration
	// Now is the stand-in's clock, for timestamps and token expiry. Default
	// time.Now.
	Now func() time.Time
	// APIVersion is reported in the API root. Default DefaultAPIVersion.
	APIVersion string
}

func (o Options) withDefaults() Options {
	if o.ClientID == "" {
		o.ClientID = DefaultClientID
	}
	if o.ClientSecret == "" {
		o.ClientSecret = DefaultClientSecret
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = DefaultTokenLifetime
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.APIVersion == "" {
		o.APIVersion = DefaultAPIVersion
	}
	return o
}

// Fault decides, per request, whether to misbehave. When ok is false the
// request is served normally. Otherwise the stand-in waits delay (or until
// the client gives up), then answers status with body as JSON; status 0
// means "serve normally after the delay".
type Fault func(r *http.Request) (status int, body string, delay time.Duration, ok bool)

// CloudController is the stand-in. Create it with New; serve it with
// httptest.NewServer (or any http.Server).
type CloudController struct {
	opts Options
	mux  *http.ServeMux

	mu        sync.Mutex
	baseURL   string
	domains   []*domain
	apps      map[string]*app
	processes []*process
	routes    []*route
	tokens    map[string]time.Time
	requests  map[string]int
	faults    []Fault
}

type domain struct {
	guid, name string
	internal   bool
	createdAt  time.Time
}

type app struct {
	guid, name string
	createdAt  time.Time
}

type process struct {
	guid, appGUID, processType, version string
	createdAt                           time.Time
}

type route struct {
	guid, host, path, domainGUID string
	loadBalancing                string
	annotations                  map[string]string
	destinations                 []destination
	createdAt, updatedAt         time.Time
}

type destination struct {
	guid, appGUID, processType, protocol string
	port                                 int
	weight                               *int
	createdAt                            time.Time
}

// New returns an empty Cloud Controller.
func New(opts Options) *CloudController {
	cc := &CloudController{
		opts:     opts.withDefaults(),
		apps:     map[string]*app{},
		tokens:   map[string]time.Time{},
		requests: map[string]int{},
	}
	cc.mux = cc.newMux()
	return cc
}

// SetBaseURL sets the URL the stand-in puts in links (the httptest server's
// URL, known only once it started). Until set, links are built from each
// request's Host.
func (cc *CloudController) SetBaseURL(url string) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.baseURL = url
}

// ClientCredentials returns the UAA client the stand-in accepts.
func (cc *CloudController) ClientCredentials() (clientID, clientSecret string) {
	return cc.opts.ClientID, cc.opts.ClientSecret
}

// AddDomain adds a shared HTTP domain and returns its GUID.
func (cc *CloudController) AddDomain(name string, internal bool) string {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	d := &domain{guid: newGUID(), name: name, internal: internal, createdAt: cc.now()}
	cc.domains = append(cc.domains, d)
	return d.guid
}

// AddApp adds an app and returns its GUID.
func (cc *CloudController) AddApp(name string) string {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	a := &app{guid: newGUID(), name: name, createdAt: cc.now()}
	cc.apps[a.guid] = a
	return a.guid
}

// AddProcess adds a process of the given type to an app and returns the
// process GUID. The app is not checked, so tests can model dangling data.
func (cc *CloudController) AddProcess(appGUID, processType string) string {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	p := &process{guid: newGUID(), appGUID: appGUID, processType: processType, version: newGUID(), createdAt: cc.now()}
	cc.processes = append(cc.processes, p)
	return p.guid
}

// AddRoute adds an HTTP route without destinations and returns its GUID.
// The domain is not checked, so tests can model a route whose domain Cloud
// Controller does not include.
func (cc *CloudController) AddRoute(host, domainGUID, path string) string {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	now := cc.now()
	r := &route{guid: newGUID(), host: host, path: path, domainGUID: domainGUID, createdAt: now, updatedAt: now}
	cc.routes = append(cc.routes, r)
	return r.guid
}

// SetRouteOptions sets a route's `options.loadbalancing` ("" removes it).
func (cc *CloudController) SetRouteOptions(routeGUID, loadBalancing string) error {
	return cc.updateRoute(routeGUID, func(r *route) { r.loadBalancing = loadBalancing })
}

// SetRouteAnnotations replaces a route's metadata annotations.
func (cc *CloudController) SetRouteAnnotations(routeGUID string, annotations map[string]string) error {
	return cc.updateRoute(routeGUID, func(r *route) { r.annotations = maps.Clone(annotations) })
}

func (cc *CloudController) updateRoute(routeGUID string, update func(*route)) error {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	r := cc.findRoute(routeGUID)
	if r == nil {
		return errRouteNotFound
	}
	update(r)
	r.updatedAt = cc.now()
	return nil
}

// DeleteRoute deletes a route; deleting an unknown route does nothing.
func (cc *CloudController) DeleteRoute(guid string) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for i, r := range cc.routes {
		if r.guid == guid {
			cc.routes = append(cc.routes[:i:i], cc.routes[i+1:]...)
			return
		}
	}
}

// InjectFault adds a fault; faults are tried in the order they were added
// and the first that applies wins.
func (cc *CloudController) InjectFault(f func(*http.Request) (status int, body string, delay time.Duration, ok bool)) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.faults = append(cc.faults, f)
}

// ClearFaults removes every fault.
func (cc *CloudController) ClearFaults() {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.faults = nil
}

// Requests returns how many requests reached the given URL path (without
// query), faulted ones included.
func (cc *CloudController) Requests(path string) int {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.requests[path]
}

// RevokeTokens invalidates every token issued so far, as if UAA's signing
// key rotated: the next API call with an old token gets 401.
func (cc *CloudController) RevokeTokens() {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	clear(cc.tokens)
}

func (cc *CloudController) now() time.Time {
	return cc.opts.Now().UTC().Truncate(time.Second)
}

func (cc *CloudController) findRoute(guid string) *route {
	for _, r := range cc.routes {
		if r.guid == guid {
			return r
		}
	}
	return nil
}

func (cc *CloudController) findDomain(guid string) *domain {
	for _, d := range cc.domains {
		if d.guid == guid {
			return d
		}
	}
	return nil
}

// newGUID returns a random version-4 UUID, as Cloud Controller's GUIDs are.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go ≥ 1.24)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
