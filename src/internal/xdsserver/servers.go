package xdsserver

import (
	"context"
	"fmt"
	"strings"
	"sync"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// servedListener is one proxyless gRPC server listener and the nodes that
// asked for it.
type servedListener struct {
	node  xdsresources.Node
	nodes map[string]bool
	own   xdsresources.NodeResources
}

// proxylessServers builds, on request, the listeners proxyless gRPC servers
// ask for by name, with their inbound routes, into the shared mesh caches
// (where name filters keep each to its own server), and keeps them current.
type proxylessServers struct {
	mu        sync.Mutex
	listeners map[string]*servedListener // by listener name
	listenerC *cachev3.LinearCache
	routeC    *cachev3.LinearCache
}

func newProxylessServers(listeners, routes *cachev3.LinearCache) *proxylessServers {
	return &proxylessServers{listeners: map[string]*servedListener{}, listenerC: listeners, routeC: routes}
}

// request builds the server listeners among names that the node may have
// and that are not built yet. A name the node may not have is left to the
// name filter, which hides it.
func (p *proxylessServers) request(id string, node xdsresources.Node, names []string, res xdsresources.Resources) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, name := range names {
		if _, ok := xdsresources.ServerListenerAddress(name); !ok {
			continue
		}
		if served, ok := p.listeners[name]; ok {
			served.nodes[id] = true
			continue
		}
		own, err := res.ProxylessServer(node, name)
		if err != nil {
			return err
		}
		if err := p.serve(nil, own); err != nil {
			return err
		}
		p.listeners[name] = &servedListener{node: node, nodes: map[string]bool{id: true}, own: own}
	}
	return nil
}

func (p *proxylessServers) serve(before *xdsresources.NodeResources, own xdsresources.NodeResources) error {
	var have xdsresources.NodeResources
	if before != nil {
		have = *before
	}
	return apply([]change{
		diff("proxyless-server-routes", p.routeC, have.Routes, own.Routes),
		diff("proxyless-server-listeners", p.listenerC, have.Listeners, own.Listeners),
	})
}

// leave drops the listeners only this node asked for.
func (p *proxylessServers) leave(id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, served := range p.listeners {
		delete(served.nodes, id)
		if len(served.nodes) > 0 {
			continue
		}
		delete(p.listeners, name)
		if err := apply([]change{
			diff("proxyless-server-routes", p.routeC, served.own.Routes, nil),
			diff("proxyless-server-listeners", p.listenerC, served.own.Listeners, nil),
		}); err != nil {
			return err
		}
	}
	return nil
}

// refresh rebuilds every server listener from new resources; one whose
// workload is no longer known keeps what it has.
func (p *proxylessServers) refresh(res xdsresources.Resources) []error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for name, served := range p.listeners {
		own, err := res.ProxylessServer(served.node, name)
		if err == nil {
			err = p.serve(&served.own, own)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("proxyless server listener %s keeps its configuration: %w", name, err))
			continue
		}
		served.own = own
	}
	return errs
}

// allows says whether a node may read a mesh resource; an unparsable node
// ID may read only shared resources.
func (p *proxylessServers) allows(n *corev3.Node, name string) bool {
	node, err := xdsresources.ParseNodeID(n.GetId())
	if err != nil {
		_, server := xdsresources.ServerListenerAddress(name)
		return !server && !strings.HasPrefix(name, "inbound|")
	}
	return p.allowed(n.GetId(), node, name)
}

// allowed says whether a node may read a mesh resource: a server listener
// only at its own IP, an inbound route configuration only of a listener it
// asked for; everything else is shared.
func (p *proxylessServers) allowed(id string, node xdsresources.Node, name string) bool {
	if address, ok := xdsresources.ServerListenerAddress(name); ok {
		return address.Addr().Unmap() == node.IP.Unmap()
	}
	if !strings.HasPrefix(name, "inbound|") {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, served := range p.listeners {
		if _, ok := served.own.Routes[name]; ok && served.nodes[id] {
			return true
		}
	}
	return false
}

// ownResources are the server listeners and routes a node asked for.
func (p *proxylessServers) ownResources(id string) xdsresources.NodeResources {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := xdsresources.NodeResources{Listeners: map[string]*listenerv3.Listener{}, Routes: map[string]*routev3.RouteConfiguration{}}
	for _, served := range p.listeners {
		if !served.nodes[id] {
			continue
		}
		for name, l := range served.own.Listeners {
			out.Listeners[name] = l
		}
		for name, rc := range served.own.Routes {
			out.Routes[name] = rc
		}
	}
	return out
}

// filtered answers named requests from a shared cache, hiding the names a
// node may not read; a wildcard request would show every server's
// listener, so it is refused.
type filtered struct {
	inner   cachev3.Cache
	allowed func(node *corev3.Node, name string) bool
}

var _ cachev3.Cache = filtered{}

func (f filtered) CreateWatch(r *cachev3.Request, sub cachev3.Subscription, out chan cachev3.Response) (func(), error) {
	if sub.IsWildcard() {
		return nil, fmt.Errorf("cf-mesh pilot: proxyless gRPC apps ask for listeners and routes by name")
	}
	return f.inner.CreateWatch(r, f.scope(r.GetNode(), sub), out)
}

func (f filtered) CreateDeltaWatch(r *cachev3.DeltaRequest, sub cachev3.Subscription, out chan cachev3.DeltaResponse) (func(), error) {
	if sub.IsWildcard() {
		return nil, fmt.Errorf("cf-mesh pilot: proxyless gRPC apps ask for listeners and routes by name")
	}
	return f.inner.CreateDeltaWatch(r, f.scope(r.GetNode(), sub), out)
}

func (f filtered) Fetch(context.Context, *cachev3.Request) (cachev3.Response, error) {
	return nil, fmt.Errorf("cf-mesh pilot: fetch is not served")
}

func (f filtered) scope(node *corev3.Node, sub cachev3.Subscription) cachev3.Subscription {
	names := map[string]struct{}{}
	for name := range sub.SubscribedResources() {
		if f.allowed(node, name) {
			names[name] = struct{}{}
		}
	}
	return scopedSubscription{Subscription: sub, names: names}
}

// scopedSubscription is a named subscription narrowed to what the node may
// read.
type scopedSubscription struct {
	cachev3.Subscription
	names map[string]struct{}
}

func (s scopedSubscription) SubscribedResources() map[string]struct{} { return s.names }
