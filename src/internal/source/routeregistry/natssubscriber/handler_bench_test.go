package natssubscriber

import (
	"encoding/json"
	"fmt"
	"testing"

	"code.cloudfoundry.org/lager/v3"
	"github.com/nats-io/nats.go"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/routeemitter"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
)

// BenchmarkHandleNoOpReregistration runs the subscriber's message handler
// (decode, lock, table, metrics) on route-emitter's steady re-emits of
// 100k endpoints, minus the socket: what one core can ingest. Run it with
// -cpu 1; docs/performance.md records the results.
func BenchmarkHandleNoOpReregistration(b *testing.B) {
	subscriber, err := New(Config{Servers: []string{"nats://127.0.0.1:4222"}}, lager.NewLogger("bench"), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	const endpoints = 100_000
	msgs := make([]*nats.Msg, 0, endpoints)
	for i := 0; len(msgs) < endpoints; i++ {
		instance := routeemitter.AppInstance{
			CellIP: fmt.Sprintf("10.0.%d.%d", i%500/250, i%250+4), HostPort: uint32(61000 + 2*(i/500)), TLSHostPort: uint32(61001 + 2*(i/500)),
			AppGUID: fmt.Sprintf("%08x-0001-4000-8000-000000000000", i/4), AppName: fmt.Sprintf("app-%d", i/4),
			ProcessGUID: fmt.Sprintf("%08x-0003-4000-8000-000000000000", i/4), InstanceGUID: fmt.Sprintf("%08x-0002-4000-8000-000000000000", i),
			Index: i % 4, SpaceGUID: "66666666-7777-8888-9999-000000000000", SpaceName: "space",
			OrgGUID: "11111111-2222-3333-4444-555555555555", OrgName: "org", AvailabilityZone: fmt.Sprintf("z%d", i%3+1),
		}
		payload, err := json.Marshal(routeemitter.NewAppInstanceMessage(instance, fmt.Sprintf("app-%d.apps.example.com", i/4)))
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, &nats.Msg{Subject: routeregistry.SubjectRegister, Data: payload})
		subscriber.handleMessage(msgs[len(msgs)-1])
	}
	if subscriber.table.Len() != endpoints {
		b.Fatalf("table holds %d endpoints, want %d", subscriber.table.Len(), endpoints)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		subscriber.handleMessage(msgs[i%len(msgs)])
	}
	b.StopTimer()
	if subscriber.table.Len() != endpoints {
		b.Fatal("re-registrations changed the table")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
