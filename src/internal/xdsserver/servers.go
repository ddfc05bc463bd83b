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
// asked for it. A pending one was asked for before the mesh config could
// build it (its workload not registered yet, its port not routed yet): it
// holds nothing and every Update tries again, so a server that starts
// before route-emitter registers it is served once the registration
// arrives, without reconnecting.
type servedListener struct {
	node    xdsresources.Node
	nodes   map[string]bool
	own     xdsresources.NodeResources
	pending bool
}

// proxylessServers builds, on request, the listeners proxyless gRPC servers
// ask for by name, with their inbound routes, into the shared mesh caches
// (where name filters keep each to its own server), and keeps them current.
type proxylessServers struct {
	mu        sync.Mutex
	listeners map[string]*servedListener // by listener name
	listenerC resourceCache
	routeC    resourceCache
	memo      *digestMemo
}

func newProxylessServers(listeners, routes resourceCache, memo *digestMemo) *proxylessServers {
	return &proxylessServers{listeners: map[string]*servedListener{}, listenerC: listeners, routeC: routes, memo: memo}
}

// request builds the server listeners among names that the node may have
// and that are not built yet; one that cannot be built now is remembered
// as pending, and the errors say why. A name the node may not have is left
// to the name filter, which hides it.
func (p *proxylessServers) request(id string, node xdsresources.Node, names []string, res xdsresources.Resources) []error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, name := range names {
		if address, ok := xdsresources.ServerListenerAddress(name); !ok || address.Addr().Unmap() != node.IP.Unmap() {
			continue // not a server listener, or another node's: hidden
		}
		if served, ok := p.listeners[name]; ok {
			served.nodes[id] = true
			continue
		}
		served := &servedListener{node: node, nodes: map[string]bool{id: true}, pending: true}
		p.listeners[name] = served
		if err := p.build(name, served, res); err != nil {
			errs = append(errs, fmt.Errorf("proxyless server listener %s is pending: %w", name, err))
		}
	}
	return errs
}

// build makes the caches hold what served should have now.
func (p *proxylessServers) build(name string, served *servedListener, res xdsresources.Resources) error {
	own, err := res.ProxylessServer(served.node, name)
	if err == nil {
		err = p.serve(&served.own, own)
	}
	if err != nil {
		return err
	}
	served.own, served.pending = own, false
	return nil
}

func (p *proxylessServers) serve(before *xdsresources.NodeResources, own xdsresources.NodeResources) error {
	var have xdsresources.NodeResources
	if before != nil {
		have = *before
	}
	return apply([]change{
		diff(p.memo, "proxyless-server-routes", p.routeC, have.Routes, own.Routes),
		diff(p.memo, "proxyless-server-listeners", p.listenerC, have.Listeners, own.Listeners),
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
			diff(p.memo, "proxyless-server-routes", p.routeC, served.own.Routes, nil),
			diff(p.memo, "proxyless-server-listeners", p.listenerC, served.own.Listeners, nil),
		}); err != nil {
			return err
		}
	}
	return nil
}

// refresh rebuilds every server listener from new resources; one whose
// workload is no longer known keeps what it has, and a pending one stays
// pending until it can be built. It returns the listeners built for the
// first time, and the errors of those that keep their configuration.
func (p *proxylessServers) refresh(res xdsresources.Resources) (built []string, errs []error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, served := range p.listeners {
		pending := served.pending
		err := p.build(name, served, res)
		switch {
		case err == nil && pending:
			built = append(built, name)
		case err != nil && !pending:
			errs = append(errs, fmt.Errorf("proxyless server listener %s keeps its configuration: %w", name, err))
		}
	}
	return built, errs
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
