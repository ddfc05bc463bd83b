package cloudcontroller

import (
	"crypto/rand"
	"fmt"
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
	// NoRoutePolicies plays a Cloud Controller from before route policies
	// (RFC-0055, 2026): `/v3/route_policies` is an unknown request (404
	// CF-NotFound) and domains present no route policy fields.
	NoRoutePolicies bool
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

	mu             sync.Mutex
	baseURL        string
	organizations  []*organization
	spaces         []*space
	domains        []*domain
	apps           map[string]*app
	appOrder       []*app
	processes      []*process
	routes         []*route
	routePolicies  []*routePolicy
	events         []*auditEvent
	suppressEvents bool
	tokens         map[string]time.Time
	requests       map[string]int
	listings       map[string]int
	faults         []Fault
}

type organization struct {
	guid, name string
	createdAt  time.Time
}

type space struct {
	guid, name, orgGUID string
	createdAt           time.Time
}

type domain struct {
	guid, name string
	internal   bool
	// orgGUID is the owning organization of a private domain, empty for a
	// shared one.
	orgGUID string
	// enforce and scope are `enforce_route_policies` and
	// `route_policies_scope`.
	enforce   bool
	scope     string
	createdAt time.Time
}

type app struct {
	guid, name, spaceGUID, state string
	createdAt, updatedAt         time.Time
}

type process struct {
	guid, appGUID, processType, version string
	createdAt                           time.Time
}

type route struct {
	guid, host, path, domainGUID, spaceGUID string
	loadBalancing                           string
	annotations                             map[string]string
	destinations                            []destination
	createdAt, updatedAt                    time.Time
}

type destination struct {
	guid, appGUID, processType, protocol string
	port                                 int
	weight                               *int
	createdAt                            time.Time
}

// The organization and space that exist from the start and hold every app
// and route created without InSpace.
const (
	DefaultOrganizationGUID = "3c8a1c4e-6f1d-4b8e-9a57-2f0d8c1e5a01"
	DefaultSpaceGUID        = "8e2bd5b2-7b4e-4c2f-9d0b-5c3d1f0a6e11"
)

// App states (`app.state`).
const (
	AppStarted = "STARTED"
	AppStopped = "STOPPED"
)

// New returns a Cloud Controller holding only the default organization and
// space.
func New(opts Options) *CloudController {
	cc := &CloudController{
		opts:     opts.withDefaults(),
		apps:     map[string]*app{},
		tokens:   map[string]time.Time{},
		requests: map[string]int{},
		listings: map[string]int{},
	}
	now := cc.now()
	cc.organizations = []*organization{{guid: DefaultOrganizationGUID, name: "default-org", createdAt: now}}
	cc.spaces = []*space{{guid: DefaultSpaceGUID, name: "default-space", orgGUID: DefaultOrganizationGUID, createdAt: now}}
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

// Listings returns how many unfiltered requests to a list endpoint
// (`/v3/routes`, `/v3/apps`, ...) it answered: each page of a full listing
// counts once. Targeted requests (`guids`, `app_guids`, `created_ats`, ...)
// and faulted requests do not count.
func (cc *CloudController) Listings(path string) int {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.listings[path]
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

func (cc *CloudController) findSpace(guid string) *space {
	for _, s := range cc.spaces {
		if s.guid == guid {
			return s
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
