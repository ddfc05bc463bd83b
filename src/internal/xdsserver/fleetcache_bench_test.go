package xdsserver

import (
	"fmt"
	"testing"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	streamv3 "github.com/envoyproxy/go-control-plane/pkg/server/stream/v3"
)

// BenchmarkEndpointChange is one load assignment changing under 100 proxies
// that each watch all 10,000 of them by name (gateways' and sidecars' EDS
// at 100k endpoints): every proxy is answered and ACKs, as the server
// drives a cache. go-control-plane's LinearCache against fleetCache
// (docs/performance.md):
//
//	go test -run '^$' -bench EndpointChange -benchtime 20x ./internal/xdsserver
func BenchmarkEndpointChange(b *testing.B) {
	for _, kind := range []string{"LinearCache", "fleetCache"} {
		for _, delta := range []bool{false, true} {
			b.Run(fmt.Sprintf("cache=%s,delta=%t", kind, delta), func(b *testing.B) {
				var c interface {
					cachev3.Cache
					resourceCache
				} = newFleetCache(resourcev3.EndpointType, "bench-")
				if kind == "LinearCache" {
					c = cachev3.NewLinearCache(resourcev3.EndpointType, cachev3.WithVersionPrefix("bench-"))
				}
				benchmarkEndpointChange(b, c, delta)
			})
		}
	}
}

type benchProxy struct {
	sub     streamv3.Subscription
	out     chan cachev3.Response
	delta   chan cachev3.DeltaResponse
	version string
}

func benchmarkEndpointChange(b *testing.B, c interface {
	cachev3.Cache
	resourceCache
}, delta bool) {
	const resources, proxies = 10000, 100
	names := make([]string, resources)
	initial := map[string]types.Resource{}
	for i := range names {
		names[i] = fmt.Sprintf("outbound|8080|process-%05d|app-%05d.apps.example.com", i, i)
		initial[names[i]] = &endpointv3.ClusterLoadAssignment{ClusterName: names[i]}
	}
	if err := c.UpdateResources(initial, nil); err != nil {
		b.Fatal(err)
	}
	// request opens a watch as the server does for a (first or ACK) request.
	request := func(p *benchProxy, nonce string) {
		var err error
		if delta {
			_, err = c.CreateDeltaWatch(&cachev3.DeltaRequest{TypeUrl: resourcev3.EndpointType, ResponseNonce: nonce}, p.sub, p.delta)
		} else {
			p.sub.SetResourceSubscription(names)
			_, err = c.CreateWatch(&cachev3.Request{TypeUrl: resourcev3.EndpointType, ResourceNames: names, VersionInfo: p.version}, p.sub, p.out)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	receive := func(p *benchProxy) {
		if delta {
			p.sub.SetReturnedResources((<-p.delta).GetReturnedResources())
			return
		}
		r := <-p.out
		p.sub.SetReturnedResources(r.GetReturnedResources())
		p.version = r.GetResponseVersion()
	}
	fleet := make([]*benchProxy, proxies)
	for i := range fleet {
		p := &benchProxy{out: make(chan cachev3.Response, 1), delta: make(chan cachev3.DeltaResponse, 1)}
		p.sub = streamv3.NewSotwSubscription(names, false)
		if delta {
			p.sub = streamv3.NewDeltaSubscription(names, nil, nil, false)
		}
		fleet[i] = p
		request(p, "")
		receive(p)
		request(p, "1")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		name := names[i%resources]
		la := &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{Priority: uint32(i%7 + 1)}}}
		if err := c.UpdateResources(map[string]types.Resource{name: la}, nil); err != nil {
			b.Fatal(err)
		}
		for _, p := range fleet {
			receive(p)
			request(p, "1")
		}
	}
}
