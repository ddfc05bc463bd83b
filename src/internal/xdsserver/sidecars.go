package xdsserver

import (
	"context"
	"fmt"
	"sync"

	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// sidecarNode is one container sidecar's own caches: its listeners and
// route configurations, which no other proxy may read.
type sidecarNode struct {
	node      xdsresources.Node
	streams   int
	listeners *fleetCache
	routes    *fleetCache
	served    xdsresources.NodeResources
}

// sidecarNodes holds the caches of every connected container sidecar. A
// node's caches exist from its first admitted stream to its last close.
type sidecarNodes struct {
	versionPrefix string
	memo          *digestMemo
	// encodings encodes once what every sidecar's caches hold alike.
	encodings *sharedEncodings

	mu    sync.Mutex
	nodes map[string]*sidecarNode // by node ID
}

func newSidecarNodes(versionPrefix string, memo *digestMemo) *sidecarNodes {
	return &sidecarNodes{versionPrefix: versionPrefix, memo: memo, encodings: newSharedEncodings(), nodes: map[string]*sidecarNode{}}
}

// join admits a stream of a sidecar: the first builds its caches from what
// is served now; an unknown workload is refused.
func (s *sidecarNodes) join(id string, node xdsresources.Node, res xdsresources.Resources) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.nodes[id]; ok {
		n.streams++
		return nil
	}
	own, err := res.Sidecar(node)
	if err != nil {
		return err
	}
	cache := func(typeURL string) *fleetCache {
		c := newFleetCache(typeURL, s.versionPrefix+"-")
		c.encodings = s.encodings
		return c
	}
	n := &sidecarNode{node: node, streams: 1, listeners: cache(resourcev3.ListenerType), routes: cache(resourcev3.RouteType)}
	if err := n.serve(s.memo, own); err != nil {
		n.listeners.release()
		n.routes.release()
		return err
	}
	s.nodes[id] = n
	return nil
}

// leave forgets a sidecar's caches when its last stream closes.
func (s *sidecarNodes) leave(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.nodes[id]; ok {
		if n.streams--; n.streams <= 0 {
			delete(s.nodes, id)
			n.retire(s.memo)
			n.listeners.release()
			n.routes.release()
		}
	}
}

// serve makes the node's caches hold own: route configurations before the
// listeners that name them, removals in the reverse order.
func (n *sidecarNode) serve(memo *digestMemo, own xdsresources.NodeResources) error {
	routes := diff(memo, "sidecar-routes", n.routes, n.served.Routes, own.Routes)
	listeners := diff(memo, "sidecar-listeners", n.listeners, n.served.Listeners, own.Listeners)
	if err := apply([]change{routes, listeners}); err != nil {
		return err
	}
	n.served = own
	return nil
}

// retire tells the memo the node's own resources are no longer served.
func (n *sidecarNode) retire(memo *digestMemo) {
	for _, l := range n.served.Listeners {
		memo.retire(l)
	}
	for _, r := range n.served.Routes {
		memo.retire(r)
	}
}

// refresh rebuilds every connected sidecar's own resources. A sidecar whose
// workload is no longer known keeps what it has: its container is going
// away, and the mesh config may be mid-change.
func (s *sidecarNodes) refresh(res xdsresources.Resources) []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for id, n := range s.nodes {
		own, err := res.Sidecar(n.node)
		if err == nil {
			err = n.serve(s.memo, own)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("sidecar %s keeps its configuration: %w", id, err))
		}
	}
	return errs
}

// ownResources returns a connected sidecar's own resources.
func (s *sidecarNodes) ownResources(id string) (xdsresources.NodeResources, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.nodes[id]
	if !ok {
		return xdsresources.NodeResources{}, false
	}
	return n.served, true
}

func (s *sidecarNodes) cacheOf(id, typeURL string) (*fleetCache, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.nodes[id]
	if !ok {
		return nil, fmt.Errorf("sidecar %s was not admitted", id)
	}
	if typeURL == resourcev3.ListenerType {
		return n.listeners, nil
	}
	return n.routes, nil
}

// perNode is the Cache the MuxCache hands a sidecar's listener or route
// configuration requests to: it answers from that node's own cache only.
type perNode struct {
	nodes   *sidecarNodes
	typeURL string
}

var _ cachev3.Cache = perNode{}

func (p perNode) CreateWatch(r *cachev3.Request, sub cachev3.Subscription, out chan cachev3.Response) (func(), error) {
	c, err := p.nodes.cacheOf(r.GetNode().GetId(), p.typeURL)
	if err != nil {
		return nil, err
	}
	return c.CreateWatch(r, sub, out)
}

func (p perNode) CreateDeltaWatch(r *cachev3.DeltaRequest, sub cachev3.Subscription, out chan cachev3.DeltaResponse) (func(), error) {
	c, err := p.nodes.cacheOf(r.GetNode().GetId(), p.typeURL)
	if err != nil {
		return nil, err
	}
	return c.CreateDeltaWatch(r, sub, out)
}

func (p perNode) Fetch(ctx context.Context, r *cachev3.Request) (cachev3.Response, error) {
	c, err := p.nodes.cacheOf(r.GetNode().GetId(), p.typeURL)
	if err != nil {
		return nil, err
	}
	return c.Fetch(ctx, r)
}

// nodeResourceCount is the number of own resources served to sidecars, for
// the resources metric.
func (s *sidecarNodes) count() (nodes, resources int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.nodes {
		resources += len(n.served.Listeners) + len(n.served.Routes)
	}
	return len(s.nodes), resources
}
