package xdsserver

import (
	"fmt"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/log"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// caches holds one LinearCache per (class-specific) listener set and per
// shared resource type.
type caches struct {
	gatewayListeners *cachev3.LinearCache
	meshListeners    *cachev3.LinearCache
	routes           *cachev3.LinearCache
	clusters         *cachev3.LinearCache
	endpoints        *cachev3.LinearCache
}

func newCaches(versionPrefix string, logger log.Logger) caches {
	linear := func(typeURL string) *cachev3.LinearCache {
		return cachev3.NewLinearCache(typeURL, cachev3.WithVersionPrefix(versionPrefix+"-"), cachev3.WithLogger(logger))
	}
	return caches{
		gatewayListeners: linear(resourcev3.ListenerType),
		meshListeners:    linear(resourcev3.ListenerType),
		routes:           linear(resourcev3.RouteType),
		clusters:         linear(resourcev3.ClusterType),
		endpoints:        linear(resourcev3.EndpointType),
	}
}

func listenerKey(class xdsresources.Class) string {
	return resourcev3.ListenerType + "/" + string(class)
}

func (c caches) byKey() map[string]cachev3.Cache {
	return map[string]cachev3.Cache{
		listenerKey(xdsresources.ClassGateway): c.gatewayListeners,
		listenerKey(xdsresources.ClassMesh):    c.meshListeners,
		resourcev3.RouteType:                   c.routes,
		resourcev3.ClusterType:                 c.clusters,
		resourcev3.EndpointType:                c.endpoints,
	}
}

// change is what one cache needs to become current.
type change struct {
	name    string
	cache   *cachev3.LinearCache
	upserts map[string]types.Resource
	deletes []string
}

// diff compares the resources a cache holds with the wanted ones, by proto
// equality, so unchanged resources keep their versions.
func diff[T proto.Message](name string, cache *cachev3.LinearCache, have, want map[string]T) change {
	c := change{name: name, cache: cache, upserts: map[string]types.Resource{}}
	for key, w := range want {
		if h, ok := have[key]; !ok || !proto.Equal(h, w) {
			c.upserts[key] = w
		}
	}
	for key := range have {
		if _, ok := want[key]; !ok {
			c.deletes = append(c.deletes, key)
		}
	}
	return c
}

// changes lists the per-cache changes from have to want, in make-before-
// break order: what proxies use last comes last.
func (c caches) changes(have, want xdsresources.Resources) []change {
	return []change{
		diff("endpoints", c.endpoints, have.Endpoints, want.Endpoints),
		diff("clusters", c.clusters, have.Clusters, want.Clusters),
		diff("routes", c.routes, have.Routes, want.Routes),
		diff("gateway-listeners", c.gatewayListeners, have.GatewayListeners, want.GatewayListeners),
		diff("mesh-listeners", c.meshListeners, have.MeshListeners, want.MeshListeners),
	}
}

// apply sends upserts in order, then deletes in reverse order.
func apply(changes []change) error {
	for _, c := range changes {
		if len(c.upserts) == 0 {
			continue
		}
		if err := c.cache.UpdateResources(c.upserts, nil); err != nil {
			return fmt.Errorf("updating %s: %w", c.name, err)
		}
	}
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
