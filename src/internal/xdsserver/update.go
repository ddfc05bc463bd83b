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
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.caches.memo.sweep() // once every cache and every sidecar has been compared
	// Responses this update causes count toward convergence from now.
	s.proxies.updated(time.Now())
	changes := s.caches.changes(s.current, res)
	if err := upsert(changes); err != nil {
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
	data := lager.Data{}
	for _, c := range changes {
		if n := len(c.upserts) + len(c.deletes); n > 0 {
			data[c.name] = n
		}
	}
	if len(data) > 0 {
		s.logger.Info("resources-updated", data)
	}
	s.once.Do(func() {
		s.logger.Info("first-config-ready")
		close(s.ready)
	})
	return nil
}
