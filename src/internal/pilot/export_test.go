package pilot

import "code.cloudfoundry.org/cf-mesh/internal/mesh"

// EndpointsFirstDeferrable translates from in full, sends to's endpoints
// first, and reports whether the pilot would then hold to's full
// translation back (ADR 20).
func EndpointsFirstDeferrable(from, to mesh.Config) bool {
	t := newTestTranslator()
	t.translate(from, 1)
	_, deferrable := t.sendEndpointsFirst(to, 2)
	return deferrable
}
