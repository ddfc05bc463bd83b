package xdsserver

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

type namedResource struct {
	name string
	res  *fleetResource
}

// fleetResponse is what fleetCache answers a watch with, before it is
// encoded: the stream that sends it encodes it, outside the cache's lock,
// from each resource's encoding (made once per resource version).
type fleetResponse struct {
	typeURL   string
	version   string
	resources []namedResource
	removed   []string
	// versions are the resources' versions, in order; knownVersion is the
	// cache version the response brings the proxy to.
	versions     []string
	knownVersion string
	// known is the proxy's returned-resources map when the response was
	// made (nil before its first response of the type), to which the
	// response is applied when the stream sends it. mu is the cache's
	// lock of the maps.
	known map[string]string
	mu    *sync.Mutex
}

// returnedResources are the versions the proxy holds once it has this
// response: go-control-plane asks for them as the stream sends the
// response, and keeps the map as the stream's own until the next one.
//
// Decision (ADR 20, third amendment): the response is applied to the map
// the proxy had, in place, when the stream sends it, not to a copy made
// when the cache answers. An endpoints-first update to 500 sidecars made
// 500 copies of their 1,000-entry maps, about 20 MB, in the pilot's one
// goroutine, and their garbage collection cost the tail of the fan-out.
// The map belongs to one stream and type; only that stream's goroutine
// writes it (here, or as go-control-plane changes a subscription after
// closing its watch), and the cache reads it under mu for a watch left
// open. A response the stream never sends (its watch closed first) is
// never applied, so the map claims nothing the proxy was not sent.
func (r *fleetResponse) returnedResources() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	returned := r.known
	if returned == nil {
		returned = make(map[string]string, len(r.resources)+1)
	}
	for i, nr := range r.resources {
		returned[nr.name] = r.versions[i]
	}
	for _, name := range r.removed {
		delete(returned, name)
	}
	returned[knownVersionKey] = r.knownVersion
	r.known = returned // asked again, it applies the same again
	return returned
}

func (r *fleetResponse) sotw(req *cachev3.Request) cachev3.Response {
	return &sotwResponse{fleetResponse: r, request: req}
}

func (r *fleetResponse) delta(req *cachev3.DeltaRequest) cachev3.DeltaResponse {
	return &deltaResponse{fleetResponse: r, request: req}
}

// sotwResponse is a State-of-the-World answer (cachev3.Response).
type sotwResponse struct {
	*fleetResponse
	request *cachev3.Request
	once    sync.Once
	encoded *discoveryv3.DiscoveryResponse
	err     error
}

func (r *sotwResponse) GetDiscoveryResponse() (*discoveryv3.DiscoveryResponse, error) {
	r.once.Do(func() {
		out := &discoveryv3.DiscoveryResponse{VersionInfo: r.version, TypeUrl: r.typeURL, Resources: make([]*anypb.Any, 0, len(r.resources))}
		for _, nr := range r.resources {
			b, err := nr.res.encoded()
			if err != nil {
				r.err = fmt.Errorf("encoding %s: %w", nr.name, err)
				return
			}
			out.Resources = append(out.Resources, &anypb.Any{TypeUrl: r.typeURL, Value: b})
		}
		r.encoded = out
	})
	return r.encoded, r.err
}

func (r *sotwResponse) GetRequest() *discoveryv3.DiscoveryRequest { return r.request }
func (r *sotwResponse) GetVersion() (string, error)               { return r.version, nil }
func (r *sotwResponse) GetResponseVersion() string                { return r.version }
func (r *sotwResponse) GetReturnedResources() map[string]string   { return r.returnedResources() }
func (r *sotwResponse) GetContext() context.Context               { return context.Background() }

// deltaResponse is a Delta answer (cachev3.DeltaResponse).
type deltaResponse struct {
	*fleetResponse
	request *cachev3.DeltaRequest
	once    sync.Once
	encoded *discoveryv3.DeltaDiscoveryResponse
	err     error
}

func (r *deltaResponse) GetDeltaDiscoveryResponse() (*discoveryv3.DeltaDiscoveryResponse, error) {
	r.once.Do(func() {
		out := &discoveryv3.DeltaDiscoveryResponse{SystemVersionInfo: r.version, TypeUrl: r.typeURL, RemovedResources: r.removed,
			Resources: make([]*discoveryv3.Resource, 0, len(r.resources))}
		for _, nr := range r.resources {
			b, err := nr.res.encoded()
			if err == nil {
				var version string
				version, err = nr.res.hash()
				out.Resources = append(out.Resources, &discoveryv3.Resource{Name: nr.name, Version: version, Resource: &anypb.Any{TypeUrl: r.typeURL, Value: b}})
			}
			if err != nil {
				r.err = fmt.Errorf("encoding %s: %w", nr.name, err)
				return
			}
		}
		r.encoded = out
	})
	return r.encoded, r.err
}

func (r *deltaResponse) GetDeltaRequest() *discoveryv3.DeltaDiscoveryRequest { return r.request }
func (r *deltaResponse) GetSystemVersion() (string, error)                   { return r.version, nil }
func (r *deltaResponse) GetResponseVersion() string                          { return r.version }
func (r *deltaResponse) GetNextVersionMap() map[string]string                { return r.returnedResources() }
func (r *deltaResponse) GetReturnedResources() map[string]string             { return r.returnedResources() }
func (r *deltaResponse) GetContext() context.Context                         { return context.Background() }

// changeLog records which names changed in which cache version, so an ACK
// of version v is compared only with the names changed since. It is
// bounded: past twice the cache's size (at least minChangeLog entries) the
// older half goes, and versions before floor are no longer answered.
type changeLog struct {
	entries []loggedChange
	floor   uint64
}

type loggedChange struct {
	version uint64
	name    string
}

const minChangeLog = 1024

func (l *changeLog) add(version uint64, names []string, cacheSize int) {
	for _, name := range names {
		l.entries = append(l.entries, loggedChange{version: version, name: name})
	}
	if limit := max(minChangeLog, 2*cacheSize); len(l.entries) > limit {
		drop := len(l.entries) - limit/2
		l.floor = l.entries[drop-1].version
		l.entries = slices.Clone(l.entries[drop:])
	}
}

// since lists the names changed after version v (possibly repeated; empty,
// not nil, when none), or reports that the log no longer reaches back.
func (l *changeLog) since(v uint64) ([]string, bool) {
	if v < l.floor {
		return nil, false
	}
	first := sort.Search(len(l.entries), func(i int) bool { return l.entries[i].version > v })
	names := make([]string, 0, len(l.entries)-first)
	for _, e := range l.entries[first:] {
		names = append(names, e.name)
	}
	return names, true
}
