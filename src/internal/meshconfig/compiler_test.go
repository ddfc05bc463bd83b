package meshconfig_test

import (
	"path/filepath"
	"runtime"
	"strings"
	"weak"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/meshconfig"
	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/golden"
)

var _ = Describe("Compiler", func() {
	inputs, err := golden.Inputs("testdata/in/*.yaml")
	if err != nil {
		panic(err)
	}
	var tables []string
	for _, input := range inputs {
		if !strings.HasSuffix(input, ".options.yaml") {
			tables = append(tables, input)
		}
	}

	It("compiles every table as Compile does, whatever it compiled before", func() {
		for _, input := range tables {
			opts := loadOptions(input)
			want, wantErrs := meshconfig.Compile(loadTable(input), opts)
			for _, before := range tables {
				compiler := meshconfig.NewCompiler(opts)
				compiler.Compile(loadTable(before))
				got, gotErrs := compiler.Compile(loadTable(input))
				Expect(yamlOf(got)).To(Equal(yamlOf(want)), "%s after %s", filepath.Base(input), filepath.Base(before))
				Expect(errorStrings(gotErrs)).To(Equal(errorStrings(wantErrs)), "%s after %s", filepath.Base(input), filepath.Base(before))
			}
		}
	})

	It("gives the objects Compile gives a few hosts, and the keys of those it gives none (endpoints first, ADR 20)", func() {
		for _, input := range tables {
			table := loadTable(input)
			compiler := meshconfig.NewCompiler(loadOptions(input))
			cfg, _ := compiler.Compile(table)
			compiled := map[string]string{}
			for _, k := range mesh.Kinds() {
				for _, r := range cfg.Of(k.Kind) {
					compiled[string(r.Kind)+" "+r.Key()] = r.Version
				}
			}
			some := map[string]bool{"no-such-host.example.com": true}
			var routes []routingtable.Route
			for i, r := range table.Routes {
				if i%2 == 0 || some[r.Host] {
					some[r.Host] = true
					routes = append(routes, r)
				}
			}
			var hosts []string
			for h := range some {
				hosts = append(hosts, h)
			}
			objects, gone := compiler.HostObjects(hosts, routes)
			for _, r := range objects {
				Expect(compiled).To(HaveKeyWithValue(string(r.Kind)+" "+r.Key(), r.Version), filepath.Base(input))
			}
			Expect(gone).To(HaveLen(3), "%s: the host no route names", filepath.Base(input))
			for _, r := range gone {
				Expect(compiled).NotTo(HaveKey(string(r.Kind) + " " + r.Key()))
				Expect(r.Name).To(HaveSuffix("-for-no-such-host.example.com"))
			}
		}
	})

	It("lets an older table go once an equal one replaced it", func() {
		compiler := meshconfig.NewCompiler(meshconfig.Options{})
		first := loadTable("testdata/in/weighted-80-20.yaml")
		older := weak.Make(&first.Routes[0].Destinations[0].Endpoints[0])
		compiler.Compile(first)
		first = routingtable.Table{}
		compiler.Compile(loadTable("testdata/in/weighted-80-20.yaml"))
		Eventually(func() bool {
			runtime.GC()
			return older.Value() == nil
		}).Should(BeTrue(), "the compiler holds the newest table's routes, not the first's")
		runtime.KeepAlive(compiler)
	})

	It("keeps the objects of a host whose routes did not change, and rebuilds the one that did", func() {
		table := loadTable("testdata/in/weighted-80-20.yaml")
		table.Routes = append(table.Routes, routingtable.Route{GUID: "other", Host: "other.apps.example.com",
			Destinations: []routingtable.Destination{{Key: "proc-other", AppGUID: "app-other", Port: 8080, Protocol: "http1",
				Endpoints: []source.Endpoint{{Address: "10.0.0.9", Port: 61000}}}}})
		compiler := meshconfig.NewCompiler(meshconfig.Options{})
		before, errs := compiler.Compile(table)
		Expect(errs).To(BeEmpty())

		changed := loadTable("testdata/in/weighted-80-20.yaml")
		changed.Routes = append(changed.Routes, routingtable.Route{GUID: "other", Host: "other.apps.example.com",
			Destinations: []routingtable.Destination{{Key: "proc-other", AppGUID: "app-other", Port: 8080, Protocol: "http1",
				Endpoints: []source.Endpoint{{Address: "10.0.0.9", Port: 61000}, {Address: "10.0.0.10", Port: 61000}}}}})
		after, errs := compiler.Compile(changed)
		Expect(errs).To(BeEmpty())

		for _, kind := range []mesh.Kind{mesh.KindVirtualService, mesh.KindDestinationRule, mesh.KindServiceEntry} {
			previous := map[string]mesh.Resource{}
			for _, r := range before.Of(kind) {
				previous[r.Key()] = r
			}
			for _, r := range after.Of(kind) {
				old := previous[r.Key()]
				if strings.HasSuffix(r.Name, "other.apps.example.com") {
					Expect(r.Spec).NotTo(BeIdenticalTo(old.Spec), "the changed host is rebuilt")
					if kind == mesh.KindServiceEntry {
						Expect(r.Version).NotTo(Equal(old.Version), "its ServiceEntry changed")
					} else {
						Expect(r.Version).To(Equal(old.Version), "its %s did not", kind)
					}
					continue
				}
				Expect(r.Spec).To(BeIdenticalTo(old.Spec), "%s %s is reused", kind, r.Key())
				Expect(r.Version).To(Equal(old.Version))
			}
		}
	})
})

func yamlOf(cfg mesh.Config) string {
	out, err := mesh.MarshalYAML(cfg)
	Expect(err).NotTo(HaveOccurred())
	return string(out)
}

func errorStrings(errs []error) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}
