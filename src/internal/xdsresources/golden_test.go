package xdsresources_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/testsupport/golden"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// loadIR reads an input in envoyir's golden output format: the IR and the
// problems envoyir reported building it.
func loadIR(path string) envoyir.IR {
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var in struct {
		IR     envoyir.IR `json:"ir"`
		Errors []string   `json:"errors"`
	}
	Expect(yaml.UnmarshalStrict(data, &in)).To(Succeed())
	return in.IR
}

// loadOptions reads testdata/in/<case>.options.yaml when a case has one.
func loadOptions(input string) xdsresources.Options {
	var opts xdsresources.Options
	data, err := os.ReadFile(strings.TrimSuffix(input, ".yaml") + ".options.yaml")
	if os.IsNotExist(err) {
		return opts
	}
	Expect(err).NotTo(HaveOccurred())
	Expect(yaml.UnmarshalStrict(data, &opts)).To(Succeed())
	return opts
}

// renderSection writes one cache's resources, sorted by name, as YAML.
func renderSection[T proto.Message](out *bytes.Buffer, title string, resources map[string]T) {
	names := make([]string, 0, len(resources))
	for name := range resources {
		names = append(names, name)
	}
	sort.Strings(names)
	var docs []json.RawMessage
	for _, name := range names {
		js, err := protojson.Marshal(resources[name])
		Expect(err).NotTo(HaveOccurred())
		docs = append(docs, js)
	}
	js, err := json.Marshal(map[string]any{title: docs})
	Expect(err).NotTo(HaveOccurred())
	y, err := yaml.JSONToYAML(js)
	Expect(err).NotTo(HaveOccurred())
	out.Write(y)
}

func render(res xdsresources.Resources) []byte {
	var out bytes.Buffer
	renderSection(&out, "gateway_listeners", res.GatewayListeners)
	renderSection(&out, "mesh_listeners", res.MeshListeners)
	renderSection(&out, "routes", res.Routes)
	renderSection(&out, "gateway_clusters", res.GatewayClusters)
	renderSection(&out, "mesh_clusters", res.MeshClusters)
	renderSection(&out, "sidecar_clusters", res.SidecarClusters)
	renderSection(&out, "gateway_endpoints", res.GatewayEndpoints)
	renderSection(&out, "mesh_endpoints", res.MeshEndpoints)
	renderSection(&out, "sidecar_endpoints", res.SidecarEndpoints)
	return out.Bytes()
}

// goldenNodes names the proxies whose own resources a case renders:
// testdata/in/<case>.nodes.yaml.
type goldenNodes struct {
	Sidecars         []string `json:"sidecars"`
	ProxylessServers []struct {
		Node     string `json:"node"`
		Listener string `json:"listener"`
	} `json:"proxyless_servers"`
}

func loadNodes(input string) goldenNodes {
	var nodes goldenNodes
	data, err := os.ReadFile(strings.TrimSuffix(input, ".yaml") + ".nodes.yaml")
	if os.IsNotExist(err) {
		return nodes
	}
	Expect(err).NotTo(HaveOccurred())
	Expect(yaml.UnmarshalStrict(data, &nodes)).To(Succeed())
	return nodes
}

// renderNodes writes each named proxy's own resources, or why it gets none,
// and checks that what it would follow resolves.
func renderNodes(out *bytes.Buffer, res xdsresources.Resources, nodes goldenNodes) {
	write := func(title string, own xdsresources.NodeResources, err error) {
		if err != nil {
			y, _ := yaml.Marshal(map[string]string{title: "refused: " + err.Error()})
			out.Write(y)
			return
		}
		renderSection(out, title+" listeners", own.Listeners)
		renderSection(out, title+" routes", own.Routes)
		expectNodeConsistent(own, res)
	}
	for _, id := range nodes.Sidecars {
		node, err := xdsresources.ParseNodeID(id)
		Expect(err).NotTo(HaveOccurred())
		own, err := res.Sidecar(node)
		write("sidecar "+id, own, err)
	}
	for _, s := range nodes.ProxylessServers {
		node, err := xdsresources.ParseNodeID(s.Node)
		Expect(err).NotTo(HaveOccurred())
		own, err := res.ProxylessServer(node, s.Listener)
		write("proxyless server "+s.Node+" "+s.Listener, own, err)
	}
}

var _ = Describe("Translate (golden files)", func() {
	inputs, err := golden.Inputs("testdata/in/*.yaml")
	if err != nil {
		panic(err)
	}
	for _, input := range inputs {
		if strings.HasSuffix(input, ".options.yaml") || strings.HasSuffix(input, ".nodes.yaml") {
			continue
		}
		It("translates "+filepath.Base(input), func() {
			res, errs := xdsresources.Translate(loadIR(input), loadOptions(input))
			Expect(errs).To(BeEmpty())
			out := bytes.NewBuffer(render(res))
			renderNodes(out, res, loadNodes(input))
			Expect(golden.Compare(golden.OutputFor(input, ".yaml"), out.Bytes())).To(Succeed())
			expectConsistent(res)
		})
	}
})
