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
	size := meshbench.Quick
	if name := os.Getenv("MESHBENCH_SIZE"); name != "" {
		var err error
		if size, err = meshbench.SizeNamed(name); err != nil {
			b.Fatal(err)
		}
	}
	f := meshbench.NewFoundation(size)
	f.Synthetic()
	desired := desiredRoutes(f)
	reg := routeregistry.NewTable()
	payloads, err := f.Payloads()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for _, p := range payloads {
		register(b, reg, p, now)
	}
	compiler := meshconfig.NewCompiler(meshconfig.Options{})
	irs := envoyir.NewTranslator()
	resources := xdsresources.NewTranslator(xdsresources.Options{})
	server := xdsserver.New(lager.NewLogger("bench"), nil, "bench")
	run := func(endpoints source.Endpoints) map[string]time.Duration {
		took := map[string]time.Duration{}
		t := time.Now()
		lap := func(stage string) { took[stage] = time.Since(t); t = time.Now() }
		table := routingtable.Build(desired, endpoints, routingtable.Policies{})
		lap("routingtable")
		cfg, _ := compiler.Compile(table)
		lap("meshconfig")
		for _, k := range mesh.Kinds() {
			_ = cfg.CollectionVersion(k.Kind)
		}
		lap("collection-versions")
		ir, _ := irs.Translate(cfg)
		lap("envoyir")
		res, _ := resources.Translate(ir)
		lap("xdsresources")
		if err := server.Update(res); err != nil {
			b.Fatal(err)
		}
		lap("xdsserver")
		return took
	}
	run(reg.EndpointsWithoutTags())
	app := f.Apps[1]
	inst := app.Instances[0]
	inst.HostPort, inst.TLSPort, inst.Index = 1000, 1001, 99
	inst.GUID = "added-instance"
	subject, _ := f.Message(1, inst)
	totals := map[string]time.Duration{}
	b.ResetTimer()
	for i := range b.N {
		t := time.Now()
		p := payloadOf(b, f, 1, inst, subject)
		if i%2 == 0 {
			register(b, reg, p, now)
		} else {
			unregister(b, reg, p)
		}
		endpoints := reg.EndpointsWithoutTags()
		totals["endpoints"] += time.Since(t)
		for stage, d := range run(endpoints) {
			totals[stage] += d
		}
	}
	for stage, d := range totals {
		b.ReportMetric(float64(d.Milliseconds())/float64(b.N), stage+"-ms/op")
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
