package meshctl_test

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"code.cloudfoundry.org/lager/v3/lagertest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"code.cloudfoundry.org/cf-mesh/internal/copilot"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpclient"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpserver"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
	"code.cloudfoundry.org/cf-mesh/internal/pilot"
	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/cloudcontroller/ccpoller"
	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry/natssubscriber"
	"code.cloudfoundry.org/cf-mesh/internal/xdsserver"
)

// The module's source root and the docs, from this package's directory.
const (
	srcRoot       = "../.."
	metricsDoc    = "../../../docs/metrics.md"
	dashboardJSON = "../../../docs/dashboards/cf-mesh.json"
)

// documentedMetric is one row of a table in docs/metrics.md.
type documentedMetric struct {
	kind   string
	labels []string
}

var metricRow = regexp.MustCompile("^\\| `(cfmesh_[a-z0-9_]+)` \\| (counter|gauge|histogram) \\| ([^|]*) \\|")

// readMetricsDoc parses the metric tables of docs/metrics.md.
func readMetricsDoc() map[string]documentedMetric {
	GinkgoHelper()
	raw, err := os.ReadFile(metricsDoc)
	Expect(err).NotTo(HaveOccurred())
	out := map[string]documentedMetric{}
	for _, line := range strings.Split(string(raw), "\n") {
		m := metricRow.FindStringSubmatch(line)
		if m == nil {
			Expect(line).NotTo(HavePrefix("| `cfmesh_"), "a metric row docs/metrics.md does not parse: name | counter, gauge or histogram | labels | ...")
			continue
		}
		Expect(out).NotTo(HaveKey(m[1]), "documented twice")
		var labels []string
		for _, l := range strings.Split(m[3], ",") {
			if l = strings.Trim(strings.TrimSpace(l), "`"); l != "" && l != "–" {
				labels = append(labels, l)
			}
		}
		sort.Strings(labels)
		out[m[1]] = documentedMetric{kind: m[2], labels: labels}
	}
	Expect(out).NotTo(BeEmpty())
	return out
}

var metricName = regexp.MustCompile(`^cfmesh_[a-z0-9_]+$`)

// metricsInSource are the metric names written in cf-mesh's Go code (not
// tests, and not the harness under internal/localfoundation, which reads
// metrics rather than exporting them): every string literal that is a
// cfmesh_ name. A metric is created from such a literal wherever it is
// registered, so none escapes, even one whose vector has no series yet.
func metricsInSource() map[string]string {
	GinkgoHelper()
	found := map[string]string{}
	fset := token.NewFileSet()
	for _, dir := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(srcRoot, dir), func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() && d.Name() == "localfoundation" {
				return filepath.SkipDir
			}
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			file, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(file, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && metricName.MatchString(s) {
						found[s] = path
					}
				}
				return true
			})
			return nil
		})
		Expect(err).NotTo(HaveOccurred())
	}
	return found
}

// registeredMetric is a metric as a process registers it.
type registeredMetric = documentedMetric

// recorder is a prometheus.Registerer that keeps what is registered, so
// even vectors without a series yet show their type and labels.
type recorder struct{ collectors []prometheus.Collector }

func (r *recorder) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return nil
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	r.collectors = append(r.collectors, cs...)
}

func (r *recorder) Unregister(prometheus.Collector) bool { return true }

// descPattern reads client_golang's Desc.String().
var descPattern = regexp.MustCompile(`^Desc\{fqName: "([^"]*)", help: ".*", constLabels: \{[^}]*\}, variableLabels: \{([^}]*)\}\}$`)

// metrics describes what was registered: name, type and labels.
func (r *recorder) metrics() map[string]registeredMetric {
	GinkgoHelper()
	out := map[string]registeredMetric{}
	for _, c := range r.collectors {
		descs := make(chan *prometheus.Desc, 16)
		c.Describe(descs)
		close(descs)
		for d := range descs {
			m := descPattern.FindStringSubmatch(d.String())
			Expect(m).NotTo(BeNil(), "a metric description this test cannot read: %s", d)
			var labels []string
			if m[2] != "" {
				labels = strings.Split(m[2], ",")
			}
			sort.Strings(labels)
			out[m[1]] = registeredMetric{kind: collectorKind(c), labels: labels}
		}
	}
	return out
}

func collectorKind(c prometheus.Collector) string {
	switch c.(type) {
	case prometheus.Histogram, *prometheus.HistogramVec:
		return "histogram"
	case prometheus.Gauge, *prometheus.GaugeVec:
		return "gauge"
	case prometheus.Counter, *prometheus.CounterVec:
		return "counter"
	}
	return fmt.Sprintf("%T", c)
}

// runnerMetrics constructs every runner that registers metrics (not
// running them) with a recorder.
func runnerMetrics() map[string]registeredMetric {
	GinkgoHelper()
	rec := &recorder{}
	logger := lagertest.NewTestLogger("metrics")
	_, err := ccpoller.New(ccpoller.Config{APIURL: "https://api.sys.example.com", ClientID: "cf_mesh_copilot", ClientSecret: "secret"},
		logger, rec, func(source.DesiredRoutes) {})
	Expect(err).NotTo(HaveOccurred())
	_, err = natssubscriber.New(natssubscriber.Config{Servers: []string{"nats://127.0.0.1:4222"}}, logger, rec, nil)
	Expect(err).NotTo(HaveOccurred())
	mcpserver.New(logger, rec)
	_, err = mcpclient.New(mcpclient.Config{Addresses: []string{"127.0.0.1:9009"}}.WithDefaults(),
		grpc.WithTransportCredentials(insecure.NewCredentials()), logger, rec, func(mesh.Config) {})
	Expect(err).NotTo(HaveOccurred())
	xdsserver.New(logger, rec, "metrics")
	return rec.metrics()
}

// processMetrics builds a copilot (Cloud Controller source) and a pilot as
// their main does, without running them, and reads their registries:
// these hold the processes' own metrics (build, translation) besides the
// runners'. A vector appears only once it has a series.
func processMetrics() map[string]registeredMetric {
	GinkgoHelper()
	copilotCfg := copilot.Config{
		CloudController: &ccpoller.Config{APIURL: "https://api.sys.example.com", ClientID: "cf_mesh_copilot", ClientSecret: "secret"},
		NATS:            natssubscriber.Config{Servers: []string{"nats://127.0.0.1:4222"}},
	}.WithDefaults()
	Expect(copilotCfg.Validate()).To(Succeed())
	copilotRegistry := prometheus.NewRegistry()
	_, err := copilot.New(copilotCfg, lagertest.NewTestLogger("copilot"), copilotRegistry)
	Expect(err).NotTo(HaveOccurred())

	pilotCfg := pilot.Config{Copilot: mcpclient.Config{Addresses: []string{"127.0.0.1:9009"}}}.WithDefaults()
	Expect(pilotCfg.Validate()).To(Succeed())
	pilotRegistry := prometheus.NewRegistry()
	_, err = pilot.New(pilotCfg, lagertest.NewTestLogger("pilot"), pilotRegistry)
	Expect(err).NotTo(HaveOccurred())

	out := map[string]registeredMetric{}
	for _, reg := range []*prometheus.Registry{copilotRegistry, pilotRegistry} {
		families, err := reg.Gather()
		Expect(err).NotTo(HaveOccurred())
		for _, f := range families {
			m := registeredMetric{kind: kindOf(f.GetType())}
			for _, l := range f.GetMetric()[0].GetLabel() {
				m.labels = append(m.labels, l.GetName())
			}
			sort.Strings(m.labels)
			out[f.GetName()] = m
		}
	}
	return out
}

func kindOf(t dto.MetricType) string {
	return map[dto.MetricType]string{dto.MetricType_COUNTER: "counter", dto.MetricType_GAUGE: "gauge", dto.MetricType_HISTOGRAM: "histogram"}[t]
}

// dashboardMetrics are the cfmesh_ metric names the dashboard's queries
// use, with a histogram's _bucket, _sum and _count folded into its name.
func dashboardMetrics(documented map[string]documentedMetric) map[string]bool {
	GinkgoHelper()
	raw, err := os.ReadFile(dashboardJSON)
	Expect(err).NotTo(HaveOccurred())
	var dashboard struct {
		Templating struct {
			List []struct{ Name, Type, Query any } `json:"list"`
		} `json:"templating"`
		Panels []struct {
			Type       string `json:"type"`
			Datasource *struct {
				UID string `json:"uid"`
			} `json:"datasource"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	Expect(json.Unmarshal(raw, &dashboard)).To(Succeed(), "the dashboard is not valid JSON")
	Expect(dashboard.Templating.List).To(ContainElement(HaveField("Type", "datasource")), "a Prometheus data source variable")
	used := map[string]bool{}
	ident := regexp.MustCompile(`cfmesh_[a-z0-9_]+`)
	for _, p := range dashboard.Panels {
		if p.Type == "row" {
			continue
		}
		Expect(p.Datasource).NotTo(BeNil())
		Expect(p.Datasource.UID).To(Equal("${datasource}"), "every panel reads the chosen data source")
		Expect(p.Targets).NotTo(BeEmpty())
		for _, t := range p.Targets {
			for _, name := range ident.FindAllString(t.Expr, -1) {
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if base := strings.TrimSuffix(name, suffix); base != name && documented[base].kind == "histogram" {
						name = base
					}
				}
				used[name] = true
			}
		}
	}
	return used
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var _ = Describe("docs/metrics.md and the Grafana dashboard", func() {
	documented := map[string]documentedMetric{}
	BeforeEach(func() { documented = readMetricsDoc() })

	It("document every metric in the code, and no other", func() {
		inSource := metricsInSource()
		Expect(inSource).To(HaveKey("cfmesh_pilot_xds_nacks_total"), "the source scan finds the metrics")
		for name, file := range inSource {
			Expect(documented).To(HaveKey(name), "%s (%s) is not in docs/metrics.md", name, file)
		}
		for _, name := range keys(documented) {
			Expect(inSource).To(HaveKey(name), "docs/metrics.md lists %s, which no code defines", name)
		}
	})

	It("give each metric the type and labels the copilot and the pilot register", func() {
		runners, processes := runnerMetrics(), processMetrics()
		Expect(len(runners)).To(BeNumerically(">=", 30), "the runners' metrics are found")
		Expect(processes).To(HaveKey("cfmesh_copilot_build_duration_seconds"))
		Expect(processes).To(HaveKey("cfmesh_pilot_translation_duration_seconds"))
		for _, registered := range []map[string]registeredMetric{runners, processes} {
			for _, name := range keys(registered) {
				Expect(documented).To(HaveKey(name), "%s is registered but not in docs/metrics.md", name)
				Expect(documented[name].kind).To(Equal(registered[name].kind), "the type of %s", name)
				Expect(documented[name].labels).To(Equal(registered[name].labels), "the labels of %s", name)
			}
		}
	})

	It("chart only documented metrics, and the ones an operator watches", func() {
		used := dashboardMetrics(documented)
		for _, name := range keys(used) {
			Expect(documented).To(HaveKey(name), "the dashboard uses %s, which docs/metrics.md does not list", name)
		}
		Expect(used).To(HaveKey("cfmesh_copilot_build_duration_seconds"), "convergence")
		Expect(used).To(HaveKey("cfmesh_pilot_translation_duration_seconds"), "translation time")
		Expect(used).To(HaveKey("cfmesh_pilot_xds_pushes_total"), "pushes by type")
		Expect(used).To(HaveKey("cfmesh_pilot_xds_nacks_total"), "NACKs by type")
		Expect(used).To(HaveKey("cfmesh_pilot_xds_connected_proxies"), "connected proxies by class")
		Expect(used).To(HaveKey("cfmesh_copilot_routing_table_routes"), "routes")
		Expect(used).To(HaveKey("cfmesh_copilot_nats_endpoints"), "endpoints")
		Expect(used).To(HaveKey("cfmesh_copilot_mesh_objects"), "objects")
		Expect(used).To(HaveKey("cfmesh_copilot_cc_syncs_total"), "source sync errors")
		Expect(used).To(HaveKey("cfmesh_copilot_cc_last_success_timestamp_seconds"), "Cloud Controller staleness")
		Expect(used).To(HaveKey("cfmesh_copilot_nats_connected"), "NATS link")
		Expect(used).To(HaveKey("cfmesh_copilot_nats_pruning_suspended"), "pruning suspended")
		Expect(used).To(HaveKey("cfmesh_pilot_mcp_connected"), "MCP link state")
	})
})
