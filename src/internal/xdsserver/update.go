package xdsserver

import (
	"time"

	"code.cloudfoundry.org/lager/v3"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// Update makes the caches serve res. Resources equal to what is served keep
// their versions and are not pushed again. The first Update opens the
// server. Shared additions go out first, then each container sidecar's and
// proxyless server's own listeners and routes, then shared removals
// (make-before-break). On a cache error the previous resources stay the
// reference, so the next Update retries the whole change.
func (s *Server) Update(res xdsresources.Resources) error {
	return s.update(res, 0, false)
}

// UpdateGeneration is Update with res translated from the config of
// generation: a load assignment that an endpoints-first update of a newer
// config set stays as it is (UpdateEndpoints, ADR 20).
func (s *Server) UpdateGeneration(res xdsresources.Resources, generation uint64) error {
	return s.update(res, generation, true)
}

func (s *Server) update(res xdsresources.Resources, generation uint64, ordered bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.caches.memo.sweep() // once every cache and every sidecar has been compared
	// Responses this update causes count toward convergence from now.
	s.proxies.updated(time.Now(), false)
	res, endpointChanges, err := s.updateEndpointCaches(res, generation, ordered)
	if err != nil {
		return err
	}
	changes := append(endpointChanges, s.caches.configChanges(s.current, res)...)
	if err := upsert(changes[len(endpointChanges):]); err != nil {
		s.logger.Error("cache-update-failed", err)
		return err
	}
	built, kept := s.servers.refresh(res)
	for _, err := range append(s.nodes.refresh(res), kept...) {
		s.logger.Info("own-resources-kept", lager.Data{"reason": err.Error()})
	}
	for _, name := range built {
		s.logger.Info("server-listener-served", lager.Data{"listener": name})
	}
	if err := remove(changes); err != nil {
		s.logger.Error("cache-update-failed", err)
		return err
	}
	s.current = res
	s.metrics.observeResources(res)
	nodes, own := s.nodes.count()
	s.metrics.sidecars.Set(float64(nodes))
	s.metrics.resources.WithLabelValues("sidecar-own").Set(float64(own))
	s.logChanges(changes, generation, ordered)
	s.once.Do(func() {
		s.logger.Info("first-config-ready")
		close(s.ready)
	})
	return nil
}

// updateEndpointCaches makes the endpoint caches serve res's load
// assignments (keeping a newer endpoints-first update's when ordered), and
// returns res as served with the changes, whose removals the Update makes
// last. It holds the endpoint lock only for this.
func (s *Server) updateEndpointCaches(res xdsresources.Resources, generation uint64, ordered bool) (xdsresources.Resources, []change, error) {
	s.endpoints.mu.Lock()
	defer s.endpoints.mu.Unlock()
	if ordered {
		res = s.keepFresher(res, generation)
	}
	changes := s.caches.endpointChanges(s.endpoints.served, res)
	if err := upsert(changes); err != nil {
		s.logger.Error("cache-update-failed", err)
		return res, nil, err
	}
	s.endpoints.served = endpointsOf(res)
	if ordered {
		s.forgetOlder(generation)
	}
	return res, changes, nil
}

// logChanges logs how many resources of each cache an update changed.
func (s *Server) logChanges(changes []change, generation uint64, ordered bool) {
	data := lager.Data{}
	for _, c := range changes {
		if n := len(c.upserts) + len(c.deletes); n > 0 {
			data[c.name] = n
		}
	}
	if len(data) == 0 {
		return
	}
	if ordered {
		data["generation"] = generation
	}
	s.logger.Info("resources-updated", data)
}
