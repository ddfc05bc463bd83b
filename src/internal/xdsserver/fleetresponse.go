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
	returned  map[string]string
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
func (r *sotwResponse) GetReturnedResources() map[string]string   { return r.returned }
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
func (r *deltaResponse) GetNextVersionMap() map[string]string                { return r.returned }
func (r *deltaResponse) GetReturnedResources() map[string]string             { return r.returned }
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
