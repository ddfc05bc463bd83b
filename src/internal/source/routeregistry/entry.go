package routeregistry

import (
	"strings"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// endpointKey identifies an endpoint: the URI and, within it, the backend
// address and upstream port (the TLS port when one is registered), and
// whether it came from service discovery, so an internal endpoint (which
// has no port) never takes the slot of a router.register endpoint or the
// other way round.
type endpointKey struct {
	uri      string
	address  string
	port     uint16
	internal bool
}

// fields is what a registration says about one backend, whichever subject
// it came on; the strings are the registration's own, nothing is copied.
type fields struct {
	port, tlsPort                                     uint16
	serverCertDomainSAN, instanceID, instanceIndex    string
	appGUID, processGUID, processType, protocol       string
	availabilityZone, isolationSegment, loadBalancing string
	tags                                              map[string]string
}

func fieldsOf(reg *Registration) fields {
	protocol := reg.Protocol
	if protocol == "" {
		protocol = ProtocolHTTP1
	}
	return fields{
		port: reg.Port, tlsPort: reg.TLSPort, serverCertDomainSAN: reg.ServerCertDomainSAN,
		instanceID: reg.PrivateInstanceID, instanceIndex: reg.PrivateInstanceIndex,
		appGUID: appGUIDOf(reg.App, reg.Tags), processGUID: reg.Tags["process_id"], processType: reg.Tags["process_type"],
		protocol: protocol, availabilityZone: reg.AvailabilityZone, isolationSegment: reg.IsolationSegment,
		loadBalancing: reg.Options.LoadBalancing, tags: reg.Tags,
	}
}

// internalFieldsOf maps a service-discovery registration: no ports, no
// protocol (the routing table takes both from the route's destination).
func internalFieldsOf(reg *InternalRegistration) fields {
	return fields{
		instanceIndex: reg.PrivateInstanceIndex,
		appGUID:       appGUIDOf(reg.App, reg.Tags), processGUID: reg.Tags["process_id"], processType: reg.Tags["process_type"],
		tags: reg.Tags,
	}
}

// appGUIDOf is `app`, or `tags.app_id` when `app` is empty.
func appGUIDOf(app string, tags map[string]string) string {
	if app != "" {
		return app
	}
	return tags["app_id"]
}

// entry is one endpoint of the table: what is its own (ports, instance)
// and the profile it shares with the other instances of its process.
type entry struct {
	port, tlsPort       uint16
	serverCertDomainSAN string
	instanceID          string
	instanceIndex       string
	profile             *profile
	// staleThreshold is the registration's own threshold, 0 for default.
	staleThreshold time.Duration
	refreshedAt    time.Time
}

// matches reports whether f describes the endpoint e already is: every
// field a consumer of Endpoints can see. It allocates nothing.
func (e *entry) matches(f *fields) bool {
	return e.port == f.port && e.tlsPort == f.tlsPort && e.serverCertDomainSAN == f.serverCertDomainSAN &&
		e.instanceID == f.instanceID && e.instanceIndex == f.instanceIndex && e.profile.matches(f)
}

// newEntry builds the entry for f. Every string it keeps is a copy, as a
// decoded registration's strings share the payload's memory. The instance
// GUID is not interned (it is one endpoint's, or two's); the SAN shares it
// when they are equal, as they are for route-emitter.
func (t *Table) newEntry(f *fields, threshold time.Duration, now time.Time) *entry {
	if t.profiles == nil {
		t.profiles = profiles{}
	}
	e := &entry{
		port: f.port, tlsPort: f.tlsPort, instanceID: strings.Clone(f.instanceID),
		instanceIndex: t.strings.intern(f.instanceIndex), profile: t.profiles.acquire(f, &t.strings),
		staleThreshold: threshold, refreshedAt: now,
	}
	e.serverCertDomainSAN = e.instanceID
	if f.serverCertDomainSAN != f.instanceID {
		e.serverCertDomainSAN = strings.Clone(f.serverCertDomainSAN)
	}
	return e
}

// endpoint is e as the source.Endpoint consumers see. Its tags map comes
// from tags, or is its own when tags is nil; it has none without withTags.
func (e *entry) endpoint(key endpointKey, tags tagMaps, withTags bool) source.Endpoint {
	p := e.profile
	out := source.Endpoint{
		URI:                 key.uri,
		Address:             key.address,
		Port:                uint32(e.port),
		TLSPort:             uint32(e.tlsPort),
		ServerCertDomainSAN: e.serverCertDomainSAN,
		AppGUID:             p.appGUID,
		ProcessGUID:         p.processGUID,
		ProcessType:         p.processType,
		InstanceID:          e.instanceID,
		InstanceIndex:       e.instanceIndex,
		Protocol:            p.protocol,
		AvailabilityZone:    p.availabilityZone,
		IsolationSegment:    p.isolationSegment,
		LoadBalancing:       p.loadBalancing,
		Internal:            key.internal,
	}
	if withTags {
		out.Tags = tags.of(p, e.instanceID, e.instanceIndex)
	}
	return out
}
