package routeregistry

import (
	"cmp"
	"maps"
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
// Table is not safe for concurrent use.
type Table struct {
	pools map[string]map[backendKey]*tableEntry
	size  int
}

type backendKey struct {
	address string
	port    uint16
}

type tableEntry struct {
	endpoint source.Endpoint
	// tls is true when the backend registered a TLS port; such endpoints
	// are never pruned by staleness.
	tls bool
	// staleThreshold is the registration's own threshold, 0 for default.
	staleThreshold time.Duration
	refreshedAt    time.Time
}

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{}
}

// Register adds or refreshes reg's backend for each of its URIs (URIs that
// do not normalise are skipped; DecodeRegistration rejects them). It
// reports whether Endpoints changed: a re-registration that only refreshes
// freshness (or a stale threshold, which consumers do not see) is not a
// change.
func (t *Table) Register(reg Registration, now time.Time) (changed bool) {
	key := backendKeyOf(reg)
	tags := maps.Clone(reg.Tags)
	threshold := time.Duration(reg.StaleThresholdInSeconds) * time.Second
	for _, raw := range reg.URIs {
		uri, err := NormalizeURI(raw)
		if err != nil {
			continue
		}
		endpoint := endpointFor(reg, uri, tags)
		pool := t.pool(uri)
		existing, ok := pool[key]
		if ok && sameEndpoint(existing.endpoint, endpoint) {
			existing.refreshedAt = now
			existing.staleThreshold = threshold
			continue
		}
		if !ok {
			t.size++
		}
		pool[key] = &tableEntry{endpoint: endpoint, tls: reg.TLSPort != 0, staleThreshold: threshold, refreshedAt: now}
		changed = true
	}
	return changed
}

// Unregister removes reg's backend from each of its URIs, unless the
// address is now held by a different instance (see Table). It reports
// whether anything was removed.
func (t *Table) Unregister(reg Registration) (changed bool) {
	key := backendKeyOf(reg)
	for _, raw := range reg.URIs {
		uri, err := NormalizeURI(raw)
		if err != nil {
			continue
		}
		existing, ok := t.pools[uri][key]
		if !ok || reusedByAnotherInstance(existing.endpoint, reg) {
			continue
		}
		t.remove(uri, key)
		changed = true
	}
	return changed
}

// Prune removes every endpoint that was not (re-)registered within its
// stale threshold before now, and returns them sorted. An endpoint's
// threshold is its registration's `stale_threshold_in_seconds` when that is
// set and not above defaultThreshold, otherwise defaultThreshold (gorouter
// `registry.register`). Endpoints with a TLS port are never pruned
// (gorouter `EndpointPool.PruneEndpoints`).
func (t *Table) Prune(now time.Time, defaultThreshold time.Duration) (removed []source.Endpoint) {
	for uri, pool := range t.pools {
		for key, entry := range pool {
			if entry.tls {
				continue
			}
			if entry.refreshedAt.Before(now.Add(-effectiveThreshold(entry.staleThreshold, defaultThreshold))) {
				removed = append(removed, copyEndpoint(entry.endpoint))
				t.remove(uri, key)
			}
		}
	}
	sortEndpoints(removed)
	return removed
}

// Touch marks every endpoint as registered at now. The runner calls it
// when NATS comes back, so a disconnect longer than the stale threshold
// does not prune the whole table before route-emitter has re-registered.
func (t *Table) Touch(now time.Time) {
	for _, pool := range t.pools {
		for _, entry := range pool {
			entry.refreshedAt = now
		}
	}
}

// Endpoints returns a deep copy of the table, sorted by URI, Address, Port
// (then TLSPort).
func (t *Table) Endpoints() source.Endpoints {
	out := make(source.Endpoints, 0, t.size)
	for _, pool := range t.pools {
		for _, entry := range pool {
			out = append(out, copyEndpoint(entry.endpoint))
		}
	}
	sortEndpoints(out)
	return out
}

// Len is the number of (URI, backend) endpoints in the table.
func (t *Table) Len() int {
	return t.size
}

func (t *Table) pool(uri string) map[backendKey]*tableEntry {
	if t.pools == nil {
		t.pools = map[string]map[backendKey]*tableEntry{}
	}
	pool, ok := t.pools[uri]
	if !ok {
		pool = map[backendKey]*tableEntry{}
		t.pools[uri] = pool
	}
	return pool
}

func (t *Table) remove(uri string, key backendKey) {
	pool := t.pools[uri]
	delete(pool, key)
	t.size--
	if len(pool) == 0 {
		delete(t.pools, uri)
	}
}

func backendKeyOf(reg Registration) backendKey {
	if reg.TLSPort != 0 {
		return backendKey{address: reg.Host, port: reg.TLSPort}
	}
	return backendKey{address: reg.Host, port: reg.Port}
}

func reusedByAnotherInstance(held source.Endpoint, reg Registration) bool {
	return reg.PrivateInstanceID != "" && held.InstanceID != "" && held.InstanceID != reg.PrivateInstanceID
}

func effectiveThreshold(own, defaultThreshold time.Duration) time.Duration {
	if own <= 0 || own > defaultThreshold {
		return defaultThreshold
	}
	return own
}

// endpointFor maps a registration to the endpoint it gives for one URI.
// tags is shared between the URIs of one registration and never mutated.
func endpointFor(reg Registration, uri string, tags map[string]string) source.Endpoint {
	appGUID := reg.App
	if appGUID == "" {
		appGUID = reg.Tags["app_id"]
	}
	protocol := reg.Protocol
	if protocol == "" {
		protocol = ProtocolHTTP1
	}
	return source.Endpoint{
		URI:                 uri,
		Address:             reg.Host,
		Port:                uint32(reg.Port),
		TLSPort:             uint32(reg.TLSPort),
		ServerCertDomainSAN: reg.ServerCertDomainSAN,
		AppGUID:             appGUID,
		ProcessGUID:         reg.Tags["process_id"],
		ProcessType:         reg.Tags["process_type"],
		InstanceID:          reg.PrivateInstanceID,
		InstanceIndex:       reg.PrivateInstanceIndex,
		Protocol:            protocol,
		AvailabilityZone:    reg.AvailabilityZone,
		IsolationSegment:    reg.IsolationSegment,
		LoadBalancing:       reg.Options.LoadBalancing,
		Tags:                tags,
	}
}

// sameEndpoint compares every field of two endpoints; update it when
// source.Endpoint grows a field.
func sameEndpoint(a, b source.Endpoint) bool {
	return a.URI == b.URI && a.Address == b.Address && a.Port == b.Port && a.TLSPort == b.TLSPort &&
		a.ServerCertDomainSAN == b.ServerCertDomainSAN && a.AppGUID == b.AppGUID &&
		a.ProcessGUID == b.ProcessGUID && a.ProcessType == b.ProcessType &&
		a.InstanceID == b.InstanceID && a.InstanceIndex == b.InstanceIndex &&
		a.Protocol == b.Protocol && a.AvailabilityZone == b.AvailabilityZone &&
		a.IsolationSegment == b.IsolationSegment && a.LoadBalancing == b.LoadBalancing &&
		maps.Equal(a.Tags, b.Tags)
}

func copyEndpoint(e source.Endpoint) source.Endpoint {
	e.Tags = maps.Clone(e.Tags)
	return e
}

func sortEndpoints(endpoints []source.Endpoint) {
	slices.SortFunc(endpoints, func(a, b source.Endpoint) int {
		return cmp.Or(
			cmp.Compare(a.URI, b.URI),
			cmp.Compare(a.Address, b.Address),
			cmp.Compare(a.Port, b.Port),
			cmp.Compare(a.TLSPort, b.TLSPort),
		)
	})
}
