package cloudcontroller

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cloudfoundry/go-cfclient/v3/resource"
)

// RoutePage is one page of `GET /v3/routes?include=domain`, as the poller
// reads it for a targeted refresh (go-cfclient's route list options have no
// `guids` filter, so the poller sends that request itself).
type RoutePage struct {
	Routes  []*resource.Route
	Domains []*resource.Domain
	// Next is true when Cloud Controller says another page follows.
	Next bool
}

// DecodeRoutePage decodes a route page. It refuses what go-cfclient would
// choke on or what would silently lose data: anything but a JSON object, a
// page without `pagination` or `resources`, or without `included` (asked
// for), and nil routes.
func DecodeRoutePage(data []byte) (RoutePage, error) {
	var raw struct {
		Pagination *resource.Pagination    `json:"pagination"`
		Resources  []*resource.Route       `json:"resources"`
		Included   *resource.RouteIncluded `json:"included"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return RoutePage{}, fmt.Errorf("decoding a route page: %w", err)
	}
	switch {
	case raw.Pagination == nil:
		return RoutePage{}, errors.New("route page has no pagination")
	case raw.Resources == nil:
		return RoutePage{}, errors.New("route page has no resources")
	case raw.Included == nil:
		return RoutePage{}, errors.New("route page has no included domains")
	}
	for i, r := range raw.Resources {
		if r == nil || r.GUID == "" {
			return RoutePage{}, fmt.Errorf("route page resources[%d] is not a route with a guid", i)
		}
	}
	return RoutePage{Routes: raw.Resources, Domains: raw.Included.Domains, Next: raw.Pagination.Next.Href != ""}, nil
}
