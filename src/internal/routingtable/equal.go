package routingtable

import (
	"maps"
	"slices"

	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// Equal reports whether two routes agree in every field, destinations and
// their endpoints included; nil and empty collections are equal. The
// copilot's compiler reuses what it built for a host whose routes are
// Equal to the previous build's.
func (r Route) Equal(o Route) bool {
	return r.EqualButEndpoints(o) && slices.EqualFunc(r.Destinations, o.Destinations, func(d, e Destination) bool {
		return slices.EqualFunc(d.Endpoints, e.Endpoints, equalEndpoints)
	})
}

// Equal reports whether two destinations agree in every field, endpoints
// included.
func (d Destination) Equal(o Destination) bool {
	sameWeight := d.Weight == o.Weight || (d.Weight != nil && o.Weight != nil && *d.Weight == *o.Weight)
	return d.Key == o.Key && d.AppGUID == o.AppGUID && d.ProcessType == o.ProcessType &&
		d.ProcessGUID == o.ProcessGUID && d.Port == o.Port && d.Protocol == o.Protocol && sameWeight &&
		slices.EqualFunc(d.Endpoints, o.Endpoints, equalEndpoints)
}

func equalEndpoints(a, b source.Endpoint) bool {
	return a.URI == b.URI && a.Address == b.Address && a.Port == b.Port && a.TLSPort == b.TLSPort &&
		a.ServerCertDomainSAN == b.ServerCertDomainSAN && a.AppGUID == b.AppGUID &&
		a.ProcessGUID == b.ProcessGUID && a.ProcessType == b.ProcessType && a.InstanceID == b.InstanceID &&
		a.InstanceIndex == b.InstanceIndex && a.Protocol == b.Protocol &&
		a.AvailabilityZone == b.AvailabilityZone && a.IsolationSegment == b.IsolationSegment &&
		a.LoadBalancing == b.LoadBalancing && a.Internal == b.Internal && maps.Equal(a.Tags, b.Tags)
}

// EqualButEndpoints reports whether two routes agree in every field but
// their destinations' endpoints. meshconfig reads endpoints only into a
// host's own objects, so a change of endpoints alone changes nothing else
// of a mesh config (the copilot relies on it, ADR 20).
func (r Route) EqualButEndpoints(o Route) bool {
	return r.GUID == o.GUID && r.Host == o.Host && r.Path == o.Path && r.Internal == o.Internal &&
		r.LoadBalancing == o.LoadBalancing && r.Origin == o.Origin &&
		r.EnforceRoutePolicies == o.EnforceRoutePolicies &&
		maps.Equal(r.Annotations, o.Annotations) && slices.Equal(r.RoutePolicies, o.RoutePolicies) &&
		slices.EqualFunc(r.Destinations, o.Destinations, func(d, e Destination) bool {
			d.Endpoints, e.Endpoints = nil, nil
			return d.Equal(e)
		})
}
