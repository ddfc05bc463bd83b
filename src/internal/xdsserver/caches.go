package xdsserver

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// caches holds one fleetCache per proxy class for listeners, clusters and
// endpoints (their content differs by class), and one shared cache for
// route configurations (their names differ by class).
type caches struct {
	gatewayListeners *fleetCache
	meshListeners    *fleetCache
	routes           *fleetCache
	gatewayClusters  *fleetCache
	meshClusters     *fleetCache
	sidecarClusters  *fleetCache
	gatewayEndpoints *fleetCache
	meshEndpoints    *fleetCache
	sidecarEndpoints *fleetCache
	// memo compares resources for every diff of the server.
	memo *digestMemo
}

func newCaches(versionPrefix string) caches {
	shared := func(typeURL string) *fleetCache {
		return newFleetCache(typeURL, versionPrefix+"-")
	}
	return caches{
		gatewayListeners: shared(resourcev3.ListenerType),
		meshListeners:    shared(resourcev3.ListenerType),
		routes:           shared(resourcev3.RouteType),
		gatewayClusters:  shared(resourcev3.ClusterType),
		meshClusters:     shared(resourcev3.ClusterType),
		sidecarClusters:  shared(resourcev3.ClusterType),
		gatewayEndpoints: shared(resourcev3.EndpointType),
		meshEndpoints:    shared(resourcev3.EndpointType),
		sidecarEndpoints: shared(resourcev3.EndpointType),
		memo:             newDigestMemo(),
	}
}

// classKey names the cache a class's requests of a type go to.
func classKey(typeURL string, class xdsresources.Class) string {
	return typeURL + "/" + string(class)
}

// sharedByKey names the cache of every class key a shared fleetCache
// answers: all but a sidecar's listeners and route configurations.
func (c caches) sharedByKey() map[string]*fleetCache {
	gateway, mesh, sidecar := xdsresources.ClassGateway, xdsresources.ClassMesh, xdsresources.ClassSidecar
	return map[string]*fleetCache{
		classKey(resourcev3.ListenerType, gateway): c.gatewayListeners,
		classKey(resourcev3.ListenerType, mesh):    c.meshListeners,
		classKey(resourcev3.RouteType, gateway):    c.routes,
		classKey(resourcev3.RouteType, mesh):       c.routes,
		classKey(resourcev3.ClusterType, gateway):  c.gatewayClusters,
		classKey(resourcev3.ClusterType, mesh):     c.meshClusters,
		classKey(resourcev3.ClusterType, sidecar):  c.sidecarClusters,
		classKey(resourcev3.EndpointType, gateway): c.gatewayEndpoints,
		classKey(resourcev3.EndpointType, mesh):    c.meshEndpoints,
		classKey(resourcev3.EndpointType, sidecar): c.sidecarEndpoints,
	}
}

// byKey routes every class's requests: gateways read shared caches; a
// proxyless gRPC app reads shared caches through a filter that hides other
// servers' listeners and inbound routes; a container sidecar reads its
// listeners and route configurations from its own caches and the sidecar
// clusters and endpoints every sidecar shares.
func (c caches) byKey(nodes *sidecarNodes, servers *proxylessServers) map[string]cachev3.Cache {
	mesh, sidecar := xdsresources.ClassMesh, xdsresources.ClassSidecar
	out := map[string]cachev3.Cache{}
	for key, shared := range c.sharedByKey() {
		out[key] = shared
	}
	for _, typeURL := range []string{resourcev3.ListenerType, resourcev3.RouteType} {
		key := classKey(typeURL, mesh)
		out[key] = filtered{inner: out[key], allowed: servers.allows}
		out[classKey(typeURL, sidecar)] = perNode{nodes: nodes, typeURL: typeURL}
	}
	return out
}

// resourceCache is a cache Update changes: a fleetCache (shared, or a
// sidecar's own) or a proxyless server's.
type resourceCache interface {
	UpdateResources(toUpdate map[string]types.Resource, toDelete []string) error
}

// change is what one cache needs to become current.
type change struct {
	name    string
	cache   resourceCache
	upserts map[string]types.Resource
	deletes []string
}

// diff compares the resources a cache holds with the wanted ones by
// content (memo.equal), so unchanged resources keep their versions.
func diff[T proto.Message](memo *digestMemo, name string, cache resourceCache, have, want map[string]T) change {
	c := change{name: name, cache: cache, upserts: map[string]types.Resource{}}
	for key, w := range want {
		if h, ok := have[key]; !ok || !memo.equal(h, w) {
			c.upserts[key] = w
		}
	}
	for key, h := range have {
		w, ok := want[key]
		if !ok {
			c.deletes = append(c.deletes, key)
		}
		if !ok || any(w) != any(h) {
			memo.retire(h) // replaced: forgotten after this Update
		}
	}
	return c
}

// endpointCaches are the endpoint caches in endpointCacheNames' (and
// endpointMaps.classes') order.
func (c caches) endpointCaches() [3]*fleetCache {
	return [3]*fleetCache{c.gatewayEndpoints, c.meshEndpoints, c.sidecarEndpoints}
}

// endpointChanges lists the changes of the three endpoint caches from the
// load assignments served to want's, compared concurrently.
func (c caches) endpointChanges(served endpointMaps, want xdsresources.Resources) []change {
	out := make([]change, 3)
	have, wanted, caches := served.classes(), endpointsOf(want), c.endpointCaches()
	fns := make([]func(), 3)
	for i := range fns {
		fns[i] = func() { out[i] = diff(c.memo, endpointCacheNames[i], caches[i], *have[i], *wanted.classes()[i]) }
	}
	parallel(fns...)
	return out
}

// configChanges lists the changes of the other caches from have to want,
// in make-before-break order: what proxies use last comes last. (The
// endpoint caches change before them; each sidecar's own listeners and
// routes between their upserts and removals.) The caches are compared
// concurrently: comparing encodes every resource, the bulk of an Update at
// scale.
func (c caches) configChanges(have, want xdsresources.Resources) []change {
	h, w := have, want
	out := make([]change, 6)
	parallel(
		func() {
			out[0] = diff(c.memo, "gateway-clusters", c.gatewayClusters, h.GatewayClusters, w.GatewayClusters)
		},
		func() { out[1] = diff(c.memo, "mesh-clusters", c.meshClusters, h.MeshClusters, w.MeshClusters) },
		func() {
			out[2] = diff(c.memo, "sidecar-clusters", c.sidecarClusters, h.SidecarClusters, w.SidecarClusters)
		},
		func() { out[3] = diff(c.memo, "routes", c.routes, h.Routes, w.Routes) },
		func() {
			out[4] = diff(c.memo, "gateway-listeners", c.gatewayListeners, h.GatewayListeners, w.GatewayListeners)
		},
		func() { out[5] = diff(c.memo, "mesh-listeners", c.meshListeners, h.MeshListeners, w.MeshListeners) },
	)
	return out
}

// parallel runs fns on up to GOMAXPROCS goroutines and waits for them.
func parallel(fns ...func()) {
	next := make(chan func(), len(fns))
	for _, fn := range fns {
		next <- fn
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(fns)) {
		wg.Go(func() {
			for fn := range next {
				fn()
			}
		})
	}
	wg.Wait()
}

// apply sends upserts in order, then deletes in reverse order.
func apply(changes []change) error {
	if err := upsert(changes); err != nil {
		return err
	}
	return remove(changes)
}

func upsert(changes []change) error {
	for _, c := range changes {
		if len(c.upserts) == 0 {
			continue
		}
		if err := c.cache.UpdateResources(c.upserts, nil); err != nil {
			return fmt.Errorf("updating %s: %w", c.name, err)
		}
	}
	return nil
}

func remove(changes []change) error {
	for i := len(changes) - 1; i >= 0; i-- {
		c := changes[i]
		if len(c.deletes) == 0 {
			continue
		}
		if err := c.cache.UpdateResources(nil, c.deletes); err != nil {
			return fmt.Errorf("deleting from %s: %w", c.name, err)
		}
	}
	return nil
}
