package xdsserver

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// ProxyStatus is what the pilot knows of one connected proxy, for operators
// (istiod's /debug/syncz idea): what it was sent, what it accepted, what it
// rejected.
type ProxyStatus struct {
	// updatedAt is the last Update while the stream was open;
	// updatedEarly tells whether it was an endpoints-first one.
	updatedAt    time.Time
	updatedEarly bool
	Stream       int64              `json:"stream"`
	Node         string             `json:"node"`
	Class        xdsresources.Class `json:"class"`
	// App is the app a container sidecar was identified as.
	App         string                `json:"app,omitempty"`
	Delta       bool                  `json:"delta"`
	ConnectedAt time.Time             `json:"connected_at"`
	Types       map[string]TypeStatus `json:"types"`
}

// TypeStatus is one resource type on one stream. For State of the World,
// Sent and Acked are versions; for Delta they are nonces.
type TypeStatus struct {
	Sent          string    `json:"sent,omitempty"`
	SentAt        time.Time `json:"sent_at,omitzero"`
	Acked         string    `json:"acked,omitempty"`
	ResourcesSent int       `json:"resources_sent"`
	Nacks         int       `json:"nacks"`
	LastError     string    `json:"last_error,omitempty"`
	nonce         string
	// pushedFor is the Update the last response carried (zero for a
	// response to the proxy's own request); seenUpdate is the last Update
	// a response of this type carried.
	pushedFor, seenUpdate time.Time
	// awaitingEarly is true while the last response, which carried an
	// endpoints-first update, is neither ACKed nor NACKed.
	awaitingEarly bool
}

// proxies tracks every open stream.
type proxies struct {
	mu      sync.Mutex
	streams map[streamKey]*ProxyStatus
	// early counts the responses of endpoints-first updates that await
	// an answer, and when the last such update was (ADR 20, third
	// amendment); both are written under mu and read without it.
	early earlyResponses
}

func newProxies() *proxies {
	return &proxies{streams: map[streamKey]*ProxyStatus{}}
}

func (p *proxies) known(id streamKey) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.streams[id]
	return ok
}

func (p *proxies) add(id streamKey, node string, class xdsresources.Class, app string, delta bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.streams[id] = &ProxyStatus{Stream: id.id, Node: node, Class: class, App: app, Delta: delta, ConnectedAt: time.Now(), Types: map[string]TypeStatus{}}
}

// identity is an admitted stream's class and node ID.
func (p *proxies) identity(id streamKey) (xdsresources.Class, string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.streams[id]
	if !ok {
		return "", "", false
	}
	return s.Class, s.Node, true
}

// remove forgets a stream and returns its class.
func (p *proxies) remove(id streamKey) (xdsresources.Class, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.streams[id]
	delete(p.streams, id)
	if !ok {
		return "", false
	}
	for _, t := range s.Types {
		p.early.answered(t.awaitingEarly)
	}
	return s.Class, true
}

// updated notes an Update applied at, an endpoints-first one when early:
// the next response of each type to every open stream carries it.
func (p *proxies) updated(at time.Time, early bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if early {
		p.early.pushed(at)
	}
	for _, s := range p.streams {
		s.updatedAt, s.updatedEarly = at, early
	}
}

// sent records a response: version (SotW) or nonce as what was sent.
func (p *proxies) sent(id streamKey, typeURL, version, nonce string, resources int) {
	p.update(id, typeURL, func(s *ProxyStatus, t *TypeStatus) {
		t.Sent, t.SentAt, t.nonce, t.ResourcesSent = version, time.Now(), nonce, resources
		t.pushedFor = time.Time{}
		p.early.answered(t.awaitingEarly) // superseded
		t.awaitingEarly = false
		if s.updatedAt.After(t.seenUpdate) {
			t.pushedFor, t.seenUpdate = s.updatedAt, s.updatedAt
			t.awaitingEarly = s.updatedEarly
			p.early.sent(t.awaitingEarly)
		}
	})
}

// answered records a request that answers a response: an ACK of what was
// sent under nonce, or a NACK with its error. For the ACK of a response
// an Update pushed, it returns the time from that Update to the ACK.
func (p *proxies) answered(id streamKey, typeURL, nonce, errorDetail string) (converged time.Duration, ok bool) {
	p.update(id, typeURL, func(_ *ProxyStatus, t *TypeStatus) {
		if nonce == "" || nonce != t.nonce {
			return
		}
		p.early.answered(t.awaitingEarly)
		t.awaitingEarly = false
		if errorDetail != "" {
			t.Nacks++
			t.LastError = errorDetail
			return
		}
		t.Acked = t.Sent
		if !t.pushedFor.IsZero() {
			converged, ok = time.Since(t.pushedFor), true
			t.pushedFor = time.Time{}
		}
	})
	return converged, ok
}

func (p *proxies) update(id streamKey, typeURL string, change func(*ProxyStatus, *TypeStatus)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.streams[id]
	if !ok {
		return
	}
	key := shortType(typeURL)
	t := s.Types[key]
	change(s, &t)
	s.Types[key] = t
}

// nodeConnected reports whether any stream of the node is still open.
func (p *proxies) nodeConnected(node string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.streams {
		if s.Node == node {
			return true
		}
	}
	return false
}

// list returns a copy of every proxy's status, sorted by node then stream.
func (p *proxies) list() []ProxyStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]ProxyStatus, 0, len(p.streams))
	for _, s := range p.streams {
		c := *s
		c.Types = make(map[string]TypeStatus, len(s.Types))
		for k, v := range s.Types {
			c.Types[k] = v
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Node != out[j].Node {
			return out[i].Node < out[j].Node
		}
		return out[i].Stream < out[j].Stream
	})
	return out
}

// shortType turns `type.googleapis.com/envoy.config.listener.v3.Listener`
// into `Listener`.
func shortType(typeURL string) string {
	return typeURL[strings.LastIndex(typeURL, ".")+1:]
}

// ConfigDump is what the connected proxy nodeID is served, in Envoy's
// config_dump shape, with the versions it was last sent.
func (s *Server) ConfigDump(nodeID string) (*adminv3.ConfigDump, error) {
	for _, p := range s.proxies.list() {
		if p.Node != nodeID {
			continue
		}
		versions := map[string]string{}
		for t, status := range p.Types {
			versions[t] = status.Sent
		}
		s.mu.Lock()
		current := s.current
		s.mu.Unlock()
		current = s.servedEndpoints(current)
		own, _ := s.nodes.ownResources(nodeID)
		if p.Class == xdsresources.ClassMesh {
			own = s.servers.ownResources(nodeID)
		}
		return xdsresources.ConfigDump(current, p.Class, own, versions)
	}
	return nil, fmt.Errorf("no proxy with node id %q is connected to this pilot", nodeID)
}
