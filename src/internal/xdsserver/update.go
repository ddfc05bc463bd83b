package xdsserver

import (
	"code.cloudfoundry.org/lager/v3"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// Update makes the caches serve res. Resources equal to what is served keep
// their versions and are not pushed again. The first Update opens the
// server. On a cache error the previous resources stay the reference, so the
// next Update retries the whole change.
func (s *Server) Update(res xdsresources.Resources) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	changes := s.caches.changes(s.current, res)
	if err := apply(changes); err != nil {
		s.logger.Error("cache-update-failed", err)
		return err
	}
	s.current = res
	s.metrics.observeResources(res)
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
