package xdsserver

import (
	"slices"
	"sync"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
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
	mu      sync.Mutex
	streams map[streamKey]*streamNames
}

type streamNames struct {
	class xdsresources.Class
	node  string
	last  map[string][]string // by type URL
}

func newRequestedNames() *requestedNames {
	return &requestedNames{streams: map[streamKey]*streamNames{}}
}

// forget drops a closed stream's names.
func (r *requestedNames) forget(key streamKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.streams, key)
}

// stream returns key's state, created from its first request's node.
func (r *requestedNames) stream(key streamKey, node *corev3.Node) (*streamNames, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.streams[key]
	if !ok {
		class, err := xdsresources.ClassOf(node)
		if err != nil {
			return nil, false
		}
		st = &streamNames{class: class, node: node.GetId(), last: map[string][]string{}}
		r.streams[key] = st
	}
	return st, true
}

// sotwNames returns the names a State-of-the-World request subscribes to,
// sharing the cache's strings: the stream's previous slice when they are
// the same names in the same order.
func (s *Server) sotwNames(key streamKey, node *corev3.Node, typeURL string, names []string) []string {
	if len(names) == 0 {
		return names
	}
	st, ok := s.names.stream(key, node)
	if !ok {
		return names
	}
	s.names.mu.Lock()
	last := st.last[typeURL]
	s.names.mu.Unlock()
	if slices.Equal(last, names) {
		return last
	}
	s.shareNames(st, typeURL, names)
	s.names.mu.Lock()
	st.last[typeURL] = names
	s.names.mu.Unlock()
	return names
}

// deltaNames makes the names a Delta request subscribes to the cache's
// strings (Delta sends each name once, when it subscribes).
func (s *Server) deltaNames(key streamKey, node *corev3.Node, typeURL string, names []string) {
	if len(names) == 0 {
		return
	}
	if st, ok := s.names.stream(key, node); ok {
		s.shareNames(st, typeURL, names)
	}
}

// shareNames replaces, in place, each name the stream's cache holds with
// the cache's string.
func (s *Server) shareNames(st *streamNames, typeURL string, names []string) {
	var c *fleetCache
	if st.class == xdsresources.ClassSidecar && (typeURL == resourcev3.ListenerType || typeURL == resourcev3.RouteType) {
		c, _ = s.nodes.cacheOf(st.node, typeURL)
	} else {
		c = s.caches.shared(classKey(typeURL, st.class))
	}
	if c != nil {
		c.shareNames(names)
	}
}
