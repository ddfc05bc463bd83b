package xdsserver

import (
	"slices"
	"sync"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// Decision (issue 8): the resource names a proxy subscribes to are the
// bulk of what the pilot holds per proxy. A gateway or sidecar names every
// cluster's load assignment (10,000 at 100k endpoints), State of the World
// repeats all of them in every ACK, and the xDS server keeps the strings
// of the last request in the stream's subscription and in what the cache
// returned: ≈ 0.6 MiB of name bytes per stream, decoded afresh for each
// proxy. requestedNames makes a request's names the strings the cache
// holds for those resources, so every proxy's subscription shares them and
// the decoded copies are garbage at once: an unchanged subscription (the
// common ACK) takes the stream's previous, already shared, slice after one
// comparison; a new or changed one looks its names up in the cache. A name
// the cache does not hold stays the proxy's own string, so what a proxy
// sends cannot grow the pilot's memory beyond its own stream.

// requestedNames remembers, per open stream and type, the names of its
// last subscription, made the cache's strings. Safe for concurrent use.
type requestedNames struct {
	mu   sync.Mutex
	last map[streamKey]map[string][]string // by stream, then type URL
}

func newRequestedNames() *requestedNames {
	return &requestedNames{last: map[streamKey]map[string][]string{}}
}

func (r *requestedNames) previous(key streamKey, typeURL string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last[key][typeURL]
}

func (r *requestedNames) remember(key streamKey, typeURL string, names []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last[key] == nil {
		r.last[key] = map[string][]string{}
	}
	r.last[key][typeURL] = names
}

// forget drops a closed stream's names.
func (r *requestedNames) forget(key streamKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.last, key)
}

// sotwNames returns the names a State-of-the-World request subscribes to,
// sharing the cache's strings: the stream's previous slice when they are
// the same names in the same order.
func (s *Server) sotwNames(key streamKey, typeURL string, names []string) []string {
	if len(names) == 0 {
		return names
	}
	if last := s.names.previous(key, typeURL); slices.Equal(last, names) {
		return last
	}
	s.shareNames(key, typeURL, names)
	s.names.remember(key, typeURL, names)
	return names
}

// shareNames replaces, in place, each name the stream's cache holds with
// the cache's string. The stream is an admitted proxy's (its class and node
// are the proxies' record); another's names are left as they are.
func (s *Server) shareNames(key streamKey, typeURL string, names []string) {
	class, node, ok := s.proxies.identity(key)
	if !ok || len(names) == 0 {
		return
	}
	var c *fleetCache
	if class == xdsresources.ClassSidecar && (typeURL == resourcev3.ListenerType || typeURL == resourcev3.RouteType) {
		c, _ = s.nodes.cacheOf(node, typeURL)
	} else {
		c = s.shared[classKey(typeURL, class)]
	}
	if c != nil {
		c.shareNames(names)
	}
}
