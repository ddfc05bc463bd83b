package routeregistry

import (
	"cmp"
	"slices"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// Table is the NATS endpoint table: for every normalised URI, the backends
// registered for it. The zero value is an empty table ready to use.
//
// Keying (decision): within a URI an endpoint is keyed by its backend
// address, host plus upstream port (the TLS port when one is registered,
// otherwise the plain port), as gorouter keys its pools by
// `CanonicalAddr`. A registration for an address that is already present
// replaces the old endpoint, so a new instance that re-uses a host port
// takes over the slot. The instance GUID (`private_instance_id`) is used
// to tell such re-use apart on unregister: an unregister naming a
// different instance than the one now holding the address is ignored, so
// route-emitter's repeated unregisters for a stopped instance (sent every
// 30 s, 20 times) cannot remove its successor. gorouter removes by address
// alone and relies on the next re-registration to repair that.
//
// Internal routes (`service-discovery.register`) are keyed by container IP
// alone, in a key space of their own, so they never collide with
// `router.register` endpoints; like the service-discovery-controller, an
// unregister removes by IP.
//
// Memory (decision): an unchanged re-registration allocates nothing. One
// flat map holds the endpoints; what the instances of a process share
// (identity, route options, tags as a template) is a profile they point to,
// and the strings that recur are interned. docs/performance.md has the
// numbers.
//
// Table is not safe for concurrent use.
type Table struct {
	endpoints map[endpointKey]*entry
	profiles  profiles
	strings   interner
	order     endpointOrder
	routing   routingSnapshot
	// changedHosts are the hosts whose endpoints changed since
	// TakeChangedHosts last ran.
	changedHosts map[string]struct{}
}

// PruneThresholds are how long endpoints live without being re-registered,
// unless a registration asks for less (`stale_threshold_in_seconds`).
type PruneThresholds struct {
	// Router applies to `router.register` endpoints: gorouter's
	// `droplet_stale_threshold`, 120 s by default.
	Router time.Duration
	// ServiceDiscovery applies to `service-discovery.register` endpoints:
	// the service-discovery-controller's `staleness_threshold_seconds`,
	// 180 s by default (three of route-emitter's 60 s internal emit
	// intervals). Zero means Router.
	ServiceDiscovery time.Duration
}

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{}
}

// Register adds or refreshes reg's backend for each of its URIs (URIs that
// do not normalise are skipped; DecodeRegistration rejects them). It
// reports whether Endpoints changed: a re-registration that only refreshes
// freshness (or a stale threshold, which consumers do not see) is not a
// change, and allocates nothing (unless a URI's host has upper case, which
// Cloud Controller never sends: then its lower-cased key is a new string).
func (t *Table) Register(reg Registration, now time.Time) (changed bool) {
	f := fieldsOf(&reg)
	key := endpointKey{address: reg.Host, port: upstreamPort(&reg)}
	threshold := time.Duration(reg.StaleThresholdInSeconds) * time.Second
	return t.register(reg.URIs, NormalizeURI, key, &f, threshold, now)
}

// RegisterInternal adds or refreshes an internal route registration, with
// Register's change semantics. Its endpoints have Internal set and no port.
func (t *Table) RegisterInternal(reg InternalRegistration, now time.Time) (changed bool) {
	f := internalFieldsOf(&reg)
	key := endpointKey{address: reg.Host, internal: true}
	return t.register(reg.URIs, NormalizeInternalURI, key, &f, 0, now)
}

func (t *Table) register(uris []string, normalize func(string) (string, error), key endpointKey, f *fields, threshold time.Duration, now time.Time) (changed bool) {
	for _, raw := range uris {
		uri, err := normalize(raw)
		if err != nil {
			continue
		}
		key.uri = uri
		if existing, ok := t.endpoints[key]; ok && existing.matches(f) {
			existing.refreshedAt = now
			existing.staleThreshold = threshold
			continue
		}
		t.put(key, t.newEntry(f, threshold, now))
		changed = true
	}
	if changed && t.strings.needsSweep() {
		t.sweepStrings()
	}
	return changed
}

// Unregister removes reg's backend from each of its URIs, unless the
// address is now held by a different instance (see Table). It reports
// whether anything was removed.
func (t *Table) Unregister(reg Registration) (changed bool) {
	key := endpointKey{address: reg.Host, port: upstreamPort(&reg)}
	for _, raw := range reg.URIs {
		uri, err := NormalizeURI(raw)
		if err != nil {
			continue
		}
		key.uri = uri
		existing, ok := t.endpoints[key]
		if !ok || reusedByAnotherInstance(existing.instanceID, reg.PrivateInstanceID) {
			continue
		}
		t.remove(key, existing)
		changed = true
	}
	return changed
}

// UnregisterInternal removes an internal route registration's container IP
// from each of its URIs and reports whether anything was removed.
func (t *Table) UnregisterInternal(reg InternalRegistration) (changed bool) {
	key := endpointKey{address: reg.Host, internal: true}
	for _, raw := range reg.URIs {
		uri, err := NormalizeInternalURI(raw)
		if err != nil {
			continue
		}
		key.uri = uri
		if existing, ok := t.endpoints[key]; ok {
			t.remove(key, existing)
			changed = true
		}
	}
	return changed
}

// upstreamPort is the port gorouter dials: the TLS port when there is one.
func upstreamPort(reg *Registration) uint16 {
	if reg.TLSPort != 0 {
		return reg.TLSPort
	}
	return reg.Port
}

// Prune removes every endpoint that was not (re-)registered within its
// stale threshold before now, and returns them sorted. A router.register
// endpoint's threshold is its registration's `stale_threshold_in_seconds`
// when that is set and not above thresholds.Router, otherwise
// thresholds.Router (gorouter `registry.register`); endpoints with a TLS
// port are never pruned (gorouter `EndpointPool.PruneEndpoints`). Internal
// endpoints use thresholds.ServiceDiscovery.
func (t *Table) Prune(now time.Time, thresholds PruneThresholds) (removed []source.Endpoint) {
	internal := cmp.Or(thresholds.ServiceDiscovery, thresholds.Router)
	for key, e := range t.endpoints {
		threshold := internal
		if !key.internal {
			if e.tlsPort != 0 {
				continue
			}
			threshold = effectiveThreshold(e.staleThreshold, thresholds.Router)
		}
		if e.refreshedAt.Before(now.Add(-threshold)) {
			removed = append(removed, e.endpoint(key, nil, true))
			t.remove(key, e)
		}
	}
	sortEndpoints(removed)
	return removed
}

// Touch marks every endpoint as registered at now. The runner calls it
// when NATS comes back, so a disconnect longer than the stale threshold
// does not prune the whole table before route-emitter has re-registered.
func (t *Table) Touch(now time.Time) {
	for _, e := range t.endpoints {
		e.refreshedAt = now
	}
}

// Endpoints returns the table sorted by URI, Address, Port (then TLSPort,
// then router.register before internal). Nothing in it is shared with the
// table, so nothing the caller does to it reaches the table; endpoints of
// one instance (its URIs) share one Tags map.
func (t *Table) Endpoints() source.Endpoints {
	return t.sorted(tagMaps{})
}

// EndpointsWithoutTags is Endpoints with every Tags nil: what routing
// needs, without rebuilding each instance's tags from its profile's
// template (at 100,000 endpoints that was most of the call: 80 MiB of maps,
// about 250 ms).
//
// The previous result's endpoints that no change touched are copied from
// it (routingSnapshot), so the caller must not modify the result.
func (t *Table) EndpointsWithoutTags() source.Endpoints {
	return t.routingEndpoints()
}

// sorted builds the sorted endpoints with tags, shared through tags.
func (t *Table) sorted(tags tagMaps) source.Endpoints {
	order := t.order.update(t.endpoints)
	out := make(source.Endpoints, len(order))
	for i, x := range order {
		out[i] = t.endpoints[x.key].endpoint(x.key, tags, true)
	}
	return out
}

// tagMaps hands out one tags map per instance and profile for the
// duration of one Endpoints call: the instance's URIs share it.
type tagMaps map[tagMapKey]map[string]string

type tagMapKey struct {
	profile           *profile
	instanceID, index string
}

func (m tagMaps) of(p *profile, instanceID, index string) map[string]string {
	if m == nil {
		return p.tags(instanceID, index)
	}
	if len(p.dynamic) == 0 {
		instanceID, index = "", ""
	}
	key := tagMapKey{p, instanceID, index}
	tags, ok := m[key]
	if !ok {
		tags = p.tags(instanceID, index)
		m[key] = tags
	}
	return tags
}

// Len is the number of (URI, backend) endpoints in the table.
func (t *Table) Len() int {
	return len(t.endpoints)
}

// put stores e as the endpoint of key, replacing any.
func (t *Table) put(key endpointKey, e *entry) {
	t.touchRouting(key)
	if old, ok := t.endpoints[key]; ok {
		t.profiles.release(old.profile)
		t.endpoints[key] = e
		if old.port != e.port || old.tlsPort != e.tlsPort {
			t.order.touch(key)
		}
		return
	}
	if t.endpoints == nil {
		t.endpoints = map[endpointKey]*entry{}
	}
	key.uri = t.strings.intern(key.uri)
	key.address = t.strings.intern(key.address)
	t.endpoints[key] = e
	t.order.touch(key)
}

func (t *Table) remove(key endpointKey, e *entry) {
	t.profiles.release(e.profile)
	delete(t.endpoints, key)
	t.order.touch(key)
	t.touchRouting(key)
}

func reusedByAnotherInstance(held, unregistering string) bool {
	return unregistering != "" && held != "" && held != unregistering
}

func effectiveThreshold(own, defaultThreshold time.Duration) time.Duration {
	if own <= 0 || own > defaultThreshold {
		return defaultThreshold
	}
	return own
}

func sortEndpoints(endpoints []source.Endpoint) {
	slices.SortFunc(endpoints, func(a, b source.Endpoint) int {
		return cmp.Or(
			cmp.Compare(a.URI, b.URI),
			cmp.Compare(a.Address, b.Address),
			cmp.Compare(a.Port, b.Port),
			cmp.Compare(a.TLSPort, b.TLSPort),
			compareBool(a.Internal, b.Internal),
		)
	})
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
