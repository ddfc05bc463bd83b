package routeregistry_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
)

// Benchmarks of the NATS ingest path: decode plus table, as natssubscriber's
// handler runs it for every message. Run them on one core:
//
//	go test ./internal/source/routeregistry -run '^$' -bench . -cpu 1 -count 6
//
// docs/performance.md records the results.

// foundationSize is the number of endpoints the benchmarks hold.
const foundationSize = 100_000

// wireMessage is a registry message as route-emitter writes it (its
// `routingtable.RegistryMessage`, field order and omitempty included).
type wireMessage struct {
	Host                 string            `json:"host"`
	Port                 uint32            `json:"port"`
	TLSPort              uint32            `json:"tls_port,omitempty"`
	URIs                 []string          `json:"uris"`
	Protocol             string            `json:"protocol,omitempty"`
	App                  string            `json:"app,omitempty"`
	PrivateInstanceID    string            `json:"private_instance_id,omitempty"`
	PrivateInstanceIndex string            `json:"private_instance_index,omitempty"`
	ServerCertDomainSAN  string            `json:"server_cert_domain_san,omitempty"`
	Tags                 map[string]string `json:"tags,omitempty"`
	AvailabilityZone     string            `json:"availability_zone,omitempty"`
	Options              json.RawMessage   `json:"options,omitempty"`
}

// foundation generates the route-emitter registrations of a foundation:
// app k has 1 + k%8 instances (4.5 on average) and 1 + k%2 routes (one
// message per instance and route), 50 orgs of 10 spaces, 500 cells in 3
// AZs, Cloud Controller's twelve metric tags, and route options on every
// tenth app. With internal set it generates service-discovery messages
// instead (two URIs per instance and internal route).
type foundation struct {
	internal bool
	// instancesPerApp, when set, replaces the 1..8 spread.
	instancesPerApp int
}

func guid(kind, n int) string {
	return fmt.Sprintf("%08x-%04x-4000-8000-%012x", n, kind, n*7919)
}

// messages calls emit for every message of the foundation until it holds
// at least n endpoints; emit returns how many endpoints a message adds.
func (f foundation) messages(n int, emit func(payload []byte)) {
	endpoints, instance := 0, 0
	for app := 0; endpoints < n; app++ {
		instances, routes := 1+app%8, 1+app%2
		if f.instancesPerApp > 0 {
			instances = f.instancesPerApp
		}
		for i := 0; i < instances; i++ {
			cell := instance % 500
			for r := 0; r < routes; r++ {
				if f.internal {
					emit(internalMessage(app, i, r, cell, instance))
					endpoints += 2
				} else {
					emit(f.routeEmitterMessage(app, i, r, cell, instance))
					endpoints++
				}
			}
			instance++
		}
	}
}

func (f foundation) routeEmitterMessage(app, index, route, cell, instance int) []byte {
	appGUID, instanceGUID := guid(1, app), guid(2, instance)
	port := uint32(61000 + 2*(instance/500%2000))
	msg := wireMessage{
		Host: fmt.Sprintf("10.0.%d.%d", cell/250, cell%250+4), Port: port, TLSPort: port + 1,
		URIs:     []string{fmt.Sprintf("app-%d-%d.apps.example.com", app, route)},
		Protocol: "http1", App: appGUID, PrivateInstanceID: instanceGUID,
		PrivateInstanceIndex: fmt.Sprint(index), ServerCertDomainSAN: instanceGUID,
		AvailabilityZone: fmt.Sprintf("z%d", cell%3+1),
		Tags: map[string]string{
			"component": "route-emitter", "source_id": appGUID, "app_id": appGUID, "app_name": fmt.Sprintf("app-%d", app),
			"process_id": guid(3, app), "process_type": "web", "process_instance_id": instanceGUID,
			"instance_id": fmt.Sprint(index), "space_id": guid(4, app%500), "space_name": fmt.Sprintf("space-%d", app%500),
			"organization_id": guid(5, app%50), "organization_name": fmt.Sprintf("org-%d", app%50),
		},
	}
	if app%10 == 0 {
		msg.Options = json.RawMessage(`{"loadbalancing":"least-connection"}`)
	}
	payload, err := json.Marshal(msg)
	if err != nil {
		panic(err)
	}
	return payload
}

func internalMessage(app, index, route, cell, instance int) []byte {
	host := fmt.Sprintf("app-%d-%d.apps.internal", app, route)
	return fmt.Appendf(nil, `{"host":"10.255.%d.%d","port":0,"uris":[%q,"%d.%s"],"app":%q,"private_instance_index":"%d","tags":{"component":"route-emitter"}}`,
		instance/250%256, instance%250+2, host, index, host, guid(1, app), index)
}

// benchDecoder decodes as the subscriber does, reusing memory.
var benchDecoder routeregistry.Decoder

// ingest decodes and applies one message the way the subscriber does.
func ingest(table *routeregistry.Table, internal bool, payload []byte, now time.Time) bool {
	if internal {
		reg, err := benchDecoder.DecodeInternalRegistration(payload)
		if err != nil {
			panic(err)
		}
		return table.RegisterInternal(reg, now)
	}
	reg, err := benchDecoder.DecodeRegistration(payload)
	if err != nil {
		panic(err)
	}
	return table.Register(reg, now)
}

func loadedTable(f foundation) (*routeregistry.Table, [][]byte) {
	table := routeregistry.NewTable()
	var payloads [][]byte
	f.messages(foundationSize, func(payload []byte) {
		payloads = append(payloads, payload)
		ingest(table, f.internal, payload, time.Unix(0, 0))
	})
	return table, payloads
}

func reportRate(b *testing.B, messages int) {
	b.ReportMetric(float64(messages)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkNoOpReregistration is route-emitter's steady state: every
// message re-registers an endpoint the table already holds, unchanged.
func BenchmarkNoOpReregistration(b *testing.B) {
	for _, f := range []foundation{{}, {internal: true}} {
		b.Run(map[bool]string{false: "router.register", true: "service-discovery.register"}[f.internal], func(b *testing.B) {
			table, payloads := loadedTable(f)
			now := time.Unix(20, 0)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if ingest(table, f.internal, payloads[i%len(payloads)], now) {
					b.Fatal("an unchanged re-registration changed the table")
				}
			}
			reportRate(b, b.N)
		})
	}
}

// BenchmarkRegisterNoOp is the table's part of the above alone: it must
// not allocate.
func BenchmarkRegisterNoOp(b *testing.B) {
	table, payloads := loadedTable(foundation{})
	regs := make([]routeregistry.Registration, len(payloads))
	for i, payload := range payloads {
		regs[i], _ = routeregistry.DecodeRegistration(payload)
	}
	now := time.Unix(20, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if table.Register(regs[i%len(regs)], now) {
			b.Fatal("an unchanged re-registration changed the table")
		}
	}
	reportRate(b, b.N)
}

// BenchmarkChurn adds and removes instances of apps the table already
// serves (a new instance GUID and port, as when Diego restarts an
// instance) next to 100k steady endpoints: two messages per iteration.
func BenchmarkChurn(b *testing.B) {
	table, _ := loadedTable(foundation{})
	const distinct = 4096
	registers, unregisters := make([][]byte, distinct), make([][]byte, distinct)
	f := foundation{}
	for i := range distinct {
		registers[i] = f.routeEmitterMessage(i, 9, 0, i%500, 1_000_000+i)
		unregisters[i] = registers[i]
	}
	now := time.Unix(20, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !ingest(table, false, registers[i%distinct], now) {
			b.Fatal("a new instance did not change the table")
		}
		reg, err := benchDecoder.DecodeRegistration(unregisters[i%distinct])
		if err != nil || !table.Unregister(reg) {
			b.Fatal("unregistering the new instance did not change the table")
		}
	}
	reportRate(b, 2*b.N)
}

// BenchmarkEndpoints is reading the table with every endpoint's tags.
func BenchmarkEndpoints(b *testing.B) {
	benchmarkSnapshot(b, (*routeregistry.Table).Endpoints)
}

// BenchmarkEndpointsWithoutTags is the copilot reading the table after a
// change.
func BenchmarkEndpointsWithoutTags(b *testing.B) {
	benchmarkSnapshot(b, (*routeregistry.Table).EndpointsWithoutTags)
}

// BenchmarkEndpointsWithoutTagsAfterChange is the copilot's snapshot for a
// build: one instance registered or unregistered since the last one, next
// to 100k steady endpoints.
func BenchmarkEndpointsWithoutTagsAfterChange(b *testing.B) {
	table, _ := loadedTable(foundation{})
	f := foundation{}
	reg, err := benchDecoder.DecodeRegistration(f.routeEmitterMessage(1, 9, 0, 1, 1_000_001))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Unix(20, 0)
	table.EndpointsWithoutTags()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			table.Register(reg, now)
		} else {
			table.Unregister(reg)
		}
		if len(table.EndpointsWithoutTags()) != table.Len() {
			b.Fatal("wrong number of endpoints")
		}
	}
}

func benchmarkSnapshot(b *testing.B, snapshot func(*routeregistry.Table) source.Endpoints) {
	table, _ := loadedTable(foundation{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(snapshot(table)) != table.Len() {
			b.Fatal("wrong number of endpoints")
		}
	}
}

// BenchmarkPrune is the prune timer's pass over a table where nothing is
// stale.
func BenchmarkPrune(b *testing.B) {
	table, _ := loadedTable(foundation{})
	thresholds := routeregistry.PruneThresholds{Router: 120 * time.Second}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(table.Prune(time.Unix(60, 0), thresholds)) != 0 {
			b.Fatal("pruned a fresh endpoint")
		}
	}
}

// BenchmarkTableMemory reports the live heap the table holds per endpoint
// at 100k endpoints, measured after garbage collection, messages decoded
// one by one as they arrive. "single-instance-apps" is the worst case for
// sharing: no two instances have the same process.
func BenchmarkTableMemory(b *testing.B) {
	for _, c := range []struct {
		name string
		f    foundation
	}{
		{"route-emitter", foundation{}},
		{"single-instance-apps", foundation{instancesPerApp: 1}},
		{"service-discovery", foundation{internal: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				b.ReportMetric(liveBytesPerEndpoint(c.f), "B/endpoint")
			}
		})
	}
}

func liveBytesPerEndpoint(f foundation) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	table := routeregistry.NewTable()
	f.messages(foundationSize, func(payload []byte) {
		ingest(table, f.internal, payload, time.Unix(0, 0))
	})
	runtime.GC()
	runtime.ReadMemStats(&after)
	perEndpoint := float64(after.HeapAlloc-before.HeapAlloc) / float64(table.Len())
	runtime.KeepAlive(table)
	return perEndpoint
}
