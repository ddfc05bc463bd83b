package xdsserver

import (
	"maps"
	"time"

	"code.cloudfoundry.org/lager/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// Decision (ADR 20): the pilot sends the load assignments a changed
// ServiceEntry gives, computed from the last full translation's index,
// while the full translation of an earlier config may still be running,
// and while an Update of it is busy with every sidecar's own resources.
// The served load assignments therefore have a lock of their own
// (endpointState), which an Update holds only while it changes the
// endpoint caches. Each update names the config it comes from (its
// generation, counted by the pilot), and the newest content of every load
// assignment wins: a full update of an older config leaves a load
// assignment that a newer config's endpoints-first update set as it is,
// and an endpoints-first update older than the last full update is
// dropped.

// endpointMaps are the served load assignments of each class.
type endpointMaps struct {
	gateway, mesh, sidecar map[string]*endpointv3.ClusterLoadAssignment
}

func endpointsOf(res xdsresources.Resources) endpointMaps {
	return endpointMaps{gateway: res.GatewayEndpoints, mesh: res.MeshEndpoints, sidecar: res.SidecarEndpoints}
}

// classes lists the maps, in endpointCacheNames' order.
func (m *endpointMaps) classes() []*map[string]*endpointv3.ClusterLoadAssignment {
	return []*map[string]*endpointv3.ClusterLoadAssignment{&m.gateway, &m.mesh, &m.sidecar}
}

var endpointCacheNames = []string{"gateway-endpoints", "mesh-endpoints", "sidecar-endpoints"}

// UpdateEndpoints serves new content for load assignments the caches serve
// now, from the config of generation: of res, only the three endpoint maps
// are read, and only their clusters that the same class is served
// already; the rest waits for the full update, which then finds them
// current and sends them no more. It adds and removes nothing, so every
// cluster a proxy holds keeps a load assignment. It returns how many load
// assignments it sent: none before the first Update, and none when a full
// update of this generation or a newer one has been served. On a cache
// error the served resources stay the reference and the full update sends
// the change.
func (s *Server) UpdateEndpoints(res xdsresources.Resources, generation uint64) (int, error) {
	s.endpoints.mu.Lock()
	defer s.endpoints.mu.Unlock()
	if generation <= s.endpoints.fullGeneration {
		return 0, nil
	}
	next := s.endpoints.served
	changes, held := s.endpointsFirstChanges(&next, endpointsOf(res))
	sent := 0
	data := lager.Data{}
	for _, c := range changes {
		if n := len(c.upserts); n > 0 {
			sent += n
			data[c.name] = n
		}
	}
	if sent > 0 {
		s.proxies.updated(time.Now(), true)
		if err := upsert(changes); err != nil {
			s.logger.Error("cache-update-failed", err)
			return 0, err
		}
	}
	// Every load assignment of this config holds, changed or not, once
	// served: a full update of an older config must not undo it.
	for i, clusters := range held {
		for _, cluster := range clusters {
			s.endpoints.fresher[i][cluster] = generation
		}
	}
	if sent == 0 {
		return 0, nil
	}
	s.endpoints.served = next
	data["generation"] = generation
	s.logger.Info("endpoints-updated-first", data)
	return sent, nil
}

// endpointsFirstChanges are the changes of each endpoint cache to want's
// load assignments of the clusters it serves (next points at the maps
// with them), and those clusters.
func (s *Server) endpointsFirstChanges(next *endpointMaps, want endpointMaps) ([]change, [3][]string) {
	var changes []change
	var held [3][]string
	for i, served := range next.classes() {
		for cluster := range *want.classes()[i] {
			if _, ok := (*served)[cluster]; ok {
				held[i] = append(held[i], cluster)
			}
		}
		changes = append(changes, s.endpointChange(i, served, *want.classes()[i]))
	}
	return changes, held
}

// endpointChange is the change of one endpoint cache to want's load
// assignments of the clusters it serves, and points served at a copy of
// the served map with them (the served map itself may be read outside
// the lock, so it never changes).
func (s *Server) endpointChange(class int, served *map[string]*endpointv3.ClusterLoadAssignment, want map[string]*endpointv3.ClusterLoadAssignment) change {
	have := map[string]*endpointv3.ClusterLoadAssignment{}
	wanted := map[string]*endpointv3.ClusterLoadAssignment{}
	for cluster, la := range want {
		if h, ok := (*served)[cluster]; ok {
			have[cluster], wanted[cluster] = h, la
		}
	}
	c := diff(s.caches.memo, endpointCacheNames[class], s.caches.endpointCaches()[class], have, wanted)
	if len(c.upserts) > 0 {
		copied := maps.Clone(*served)
		for cluster := range c.upserts {
			copied[cluster] = wanted[cluster]
		}
		*served = copied
	}
	return c
}

// keepFresher is res with the load assignments that an endpoints-first
// update of a config newer than generation set kept as they are served
// (copies of the maps it changes: res's maps belong to the translator).
func (s *Server) keepFresher(res xdsresources.Resources, generation uint64) xdsresources.Resources {
	want := endpointsOf(res)
	served := s.endpoints.served
	for i, wanted := range want.classes() {
		var copied map[string]*endpointv3.ClusterLoadAssignment
		for cluster, g := range s.endpoints.fresher[i] {
			current, ok := (*served.classes()[i])[cluster]
			if _, in := (*wanted)[cluster]; !in || !ok || g <= generation {
				continue
			}
			if copied == nil {
				copied = maps.Clone(*wanted)
			}
			copied[cluster] = current
		}
		if copied != nil {
			*wanted = copied
		}
	}
	res.GatewayEndpoints, res.MeshEndpoints, res.SidecarEndpoints = want.gateway, want.mesh, want.sidecar
	return res
}

// forgetOlder ends the hold of every endpoints-first update a full update
// of generation covers.
func (s *Server) forgetOlder(generation uint64) {
	s.endpoints.fullGeneration = max(s.endpoints.fullGeneration, generation)
	for _, held := range s.endpoints.fresher {
		maps.DeleteFunc(held, func(_ string, g uint64) bool { return g <= s.endpoints.fullGeneration })
	}
}

// servedEndpoints overlays the load assignments served now on res (a copy
// of the server's current resources), for readers of the whole.
func (s *Server) servedEndpoints(res xdsresources.Resources) xdsresources.Resources {
	s.endpoints.mu.Lock()
	defer s.endpoints.mu.Unlock()
	res.GatewayEndpoints, res.MeshEndpoints, res.SidecarEndpoints = s.endpoints.served.gateway, s.endpoints.served.mesh, s.endpoints.served.sidecar
	return res
}
