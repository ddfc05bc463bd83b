package routingtable_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// BenchmarkBuild joins 10,000 routes with 100,000 endpoints, what the
// copilot does after every change (docs/performance.md, "Scale"):
//
//	go test -run '^$' -bench Build -benchmem ./internal/routingtable
func BenchmarkBuild(b *testing.B) {
	desired, endpoints := scaleFoundation(10_000, 10)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		routingtable.Build(desired, endpoints, routingtable.Policies{})
	}
}

// scaleFoundation is routes routes of one app each, instances endpoints
// per route, and one route_registrar URI per hundred routes, with
// endpoints sorted as the NATS source gives them.
func scaleFoundation(routes, instances int) (source.DesiredRoutes, source.Endpoints) {
	var desired source.DesiredRoutes
	var endpoints source.Endpoints
	for r := range routes {
		host := fmt.Sprintf("app-%05d.apps.example.com", r)
		app, process := fmt.Sprintf("app-guid-%05d", r), fmt.Sprintf("process-guid-%05d", r)
		desired.Routes = append(desired.Routes, source.DesiredRoute{GUID: fmt.Sprintf("route-guid-%05d", r), Host: host,
			Destinations: []source.DesiredDestination{{AppGUID: app, ProcessType: "web", ProcessGUID: process, Port: 8080, Protocol: "http1"}}})
		for i := range instances {
			endpoints = append(endpoints, source.Endpoint{URI: host, Address: fmt.Sprintf("10.0.%d.%d", r%250, i+1), Port: uint32(61000 + i), TLSPort: uint32(62000 + i),
				ServerCertDomainSAN: fmt.Sprintf("instance-%05d-%d", r, i), AppGUID: app, ProcessGUID: process, ProcessType: "web",
				InstanceID: fmt.Sprintf("instance-%05d-%d", r, i), InstanceIndex: fmt.Sprint(i), Protocol: "http1"})
		}
		if r%100 == 0 {
			endpoints = append(endpoints, source.Endpoint{URI: fmt.Sprintf("system-%05d.example.com", r), Address: "10.1.0.1", Port: 8080})
		}
	}
	sortByURI(endpoints)
	return desired, endpoints
}

func sortByURI(endpoints source.Endpoints) {
	slices.SortStableFunc(endpoints, func(a, b source.Endpoint) int { return strings.Compare(a.URI, b.URI) })
}
