package meshbench_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/meshbench"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/meshconfig"
	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
	"code.cloudfoundry.org/cf-mesh/internal/xdsserver"
)

// BenchmarkStages times each pure stage of the pipeline for one endpoint
// change at the size named by MESHBENCH_SIZE (default quick), in process:
//
//	MESHBENCH_SIZE=full go test -run '^$' -bench Stages -benchtime 5x ./internal/localfoundation/meshbench
func BenchmarkStages(b *testing.B) {
	x := newStagesFixture(b)
	run := func(endpoints source.Endpoints) map[string]time.Duration {
		took := map[string]time.Duration{}
		t := time.Now()
		lap := func(stage string) { took[stage] = time.Since(t); t = time.Now() }
		table := routingtable.Build(x.desired, endpoints, routingtable.Policies{})
		lap("routingtable")
		cfg, _ := x.compiler.Compile(table)
		lap("meshconfig")
		for _, k := range mesh.Kinds() {
			_ = cfg.CollectionVersion(k.Kind)
		}
		lap("collection-versions")
		ir, _ := x.irs.Translate(cfg)
		lap("envoyir")
		res, _ := x.resources.Translate(ir)
		lap("xdsresources")
		if err := x.server.Update(res); err != nil {
			b.Fatal(err)
		}
		lap("xdsserver")
		return took
	}
	run(x.reg.EndpointsWithoutTags())
	totals := map[string]time.Duration{}
	b.ResetTimer()
	for i := range b.N {
		t := time.Now()
		x.change(b, i)
		endpoints := x.reg.EndpointsWithoutTags()
		totals["endpoints"] += time.Since(t)
		for stage, d := range run(endpoints) {
			totals[stage] += d
		}
	}
	reportStages(b, totals)
}

// BenchmarkEndpointsFirst times the endpoints-first path of the same
// endpoint change (ADR 20): the copilot's objects of the changed hosts put
// into the last mesh config, and the pilot's load assignments
// from the last full translation's index, sent to the caches.
//
//	MESHBENCH_SIZE=large go test -run '^$' -bench EndpointsFirst -benchtime 30x ./internal/localfoundation/meshbench
func BenchmarkEndpointsFirst(b *testing.B) {
	x := newStagesFixture(b)
	endpoints := x.reg.EndpointsWithoutTags()
	cfg, _ := x.compiler.Compile(routingtable.Build(x.desired, endpoints, routingtable.Policies{}))
	ir, _ := x.irs.Translate(cfg)
	res, _ := x.resources.Translate(ir)
	if err := x.server.UpdateGeneration(res, 1); err != nil {
		b.Fatal(err)
	}
	index, served := x.irs.EndpointIndex(), x.resources.ServedEndpoints()
	x.reg.TakeChangedHosts() // every host so far
	totals := map[string]time.Duration{}
	sent := 0
	b.ResetTimer()
	for i := range b.N {
		t := time.Now()
		lap := func(stage string) { totals[stage] += time.Since(t); t = time.Now() }
		x.change(b, i)
		hosts := x.reg.TakeChangedHosts()
		endpoints := x.reg.RoutingEndpointsOfHosts(hosts)
		lap("endpoints")
		next, _ := cfg.Updating(x.compiler.HostObjects(hosts, routingtable.BuildHosts(x.desired, endpoints, hosts)))
		lap("copilot-host-objects")
		changes := index.Changes(next)
		lap("pilot-changes")
		n, err := x.server.UpdateEndpoints(served.LoadAssignments(changes), uint64(i+2))
		if err != nil {
			b.Fatal(err)
		}
		sent += n
		lap("pilot-load-assignments-sent")
	}
	if sent == 0 {
		b.Fatal("no load assignment was sent")
	}
	reportStages(b, totals)
}

// stagesFixture is a foundation's routes and registered endpoints with the
// stages' translators, and one instance of an app to start and stop.
type stagesFixture struct {
	f         *meshbench.Foundation
	desired   source.DesiredRoutes
	reg       *routeregistry.Table
	now       time.Time
	compiler  *meshconfig.Compiler
	irs       *envoyir.Translator
	resources *xdsresources.Translator
	server    *xdsserver.Server
	inst      meshbench.Instance
	subject   string
}

func newStagesFixture(b *testing.B) *stagesFixture {
	size := meshbench.Quick
	if name := os.Getenv("MESHBENCH_SIZE"); name != "" {
		var err error
		if size, err = meshbench.SizeNamed(name); err != nil {
			b.Fatal(err)
		}
	}
	f := meshbench.NewFoundation(size)
	f.Synthetic()
	x := &stagesFixture{f: f, desired: desiredRoutes(f), reg: routeregistry.NewTable(), now: time.Now(),
		compiler: meshconfig.NewCompiler(meshconfig.Options{}), irs: envoyir.NewTranslator(),
		resources: xdsresources.NewTranslator(xdsresources.Options{}), server: xdsserver.New(lager.NewLogger("bench"), nil, "bench")}
	payloads, err := f.Payloads()
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range payloads {
		register(b, x.reg, p, x.now)
	}
	// The pilot's translations run with a checkpoint that looks at the xDS
	// server's unanswered endpoints-first responses (ADR 20, third
	// amendment); nothing is unanswered here, so this is its whole cost.
	checkpoint := func() { x.server.UnansweredEndpointsFirst() }
	x.irs.Checkpoint, x.resources.Checkpoint = checkpoint, checkpoint
	x.inst = f.Apps[1].Instances[0]
	x.inst.HostPort, x.inst.TLSPort, x.inst.Index = 1000, 1001, 99
	x.inst.GUID = "added-instance"
	x.subject, _ = f.Message(1, x.inst)
	return x
}

// change starts the instance on even i and stops it on odd i.
func (x *stagesFixture) change(b *testing.B, i int) {
	p := payloadOf(b, x.f, 1, x.inst, x.subject)
	if i%2 == 0 {
		register(b, x.reg, p, x.now)
	} else {
		unregister(b, x.reg, p)
	}
}

func reportStages(b *testing.B, totals map[string]time.Duration) {
	for stage, d := range totals {
		b.ReportMetric(float64(d.Microseconds())/1000/float64(b.N), stage+"-ms/op")
	}
}

func payloadOf(b *testing.B, f *meshbench.Foundation, app int, inst meshbench.Instance, subject string) meshbench.Payload {
	b.Helper()
	_, msg := f.Message(app, inst)
	data, err := json.Marshal(msg)
	if err != nil {
		b.Fatal(err)
	}
	return meshbench.Payload{Subject: subject, Data: data}
}

func register(b *testing.B, t *routeregistry.Table, p meshbench.Payload, now time.Time) {
	b.Helper()
	if strings.HasPrefix(p.Subject, "service-discovery") {
		reg, err := routeregistry.DecodeInternalRegistration(p.Data)
		if err != nil {
			b.Fatal(err)
		}
		t.RegisterInternal(reg, now)
		return
	}
	reg, err := routeregistry.DecodeRegistration(p.Data)
	if err != nil {
		b.Fatal(err)
	}
	t.Register(reg, now)
}

func unregister(b *testing.B, t *routeregistry.Table, p meshbench.Payload) {
	b.Helper()
	reg, err := routeregistry.DecodeRegistration(p.Data)
	if err != nil {
		b.Fatal(err)
	}
	t.Unregister(reg)
}

// desiredRoutes is what the Cloud Controller source would publish for f.
func desiredRoutes(f *meshbench.Foundation) source.DesiredRoutes {
	var out source.DesiredRoutes
	for _, r := range f.Routes {
		d := source.DesiredRoute{GUID: r.GUID, Host: r.Host, Internal: r.Internal}
		for _, a := range r.Apps {
			dest := source.DesiredDestination{GUID: r.GUID + "-" + f.Apps[a].GUID, AppGUID: f.Apps[a].GUID, ProcessType: "web",
				ProcessGUID: f.Apps[a].ProcessGUID, Port: meshbench.ContainerPort, Protocol: "http1"}
			if len(r.Apps) > 1 {
				w := int32(100 / len(r.Apps))
				dest.Weight = &w
			}
			d.Destinations = append(d.Destinations, dest)
		}
		out.Routes = append(out.Routes, d)
	}
	slices.SortFunc(out.Routes, func(a, b source.DesiredRoute) int { return strings.Compare(a.Host, b.Host) })
	return out
}
