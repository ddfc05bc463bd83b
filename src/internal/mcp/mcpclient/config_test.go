package mcpclient_test

import (
	"encoding/json"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/jsonduration"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/mcpclient"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

var _ = Describe("Config", func() {
	It("defaults to the pilot's kinds under v1 and an Istio-style router node id", func() {
		cfg := mcpclient.Config{Addresses: []string{"copilot.service.cf.internal:9000"}}.WithDefaults()
		Expect(cfg.Kinds).To(Equal([]mesh.Kind{mesh.KindGateway, mesh.KindVirtualService, mesh.KindDestinationRule, mesh.KindServiceEntry,
			mesh.KindSidecar, mesh.KindAuthorizationPolicy}))
		Expect(cfg.Version).To(Equal("v1"))
		parts := strings.Split(cfg.NodeID, "~")
		Expect(parts).To(HaveLen(4))
		Expect(parts[0]).To(Equal("router"))
		Expect(parts[1]).NotTo(BeEmpty())
		Expect(parts[2:]).To(Equal([]string{"pilot.cloudfoundry", "cloudfoundry.svc.cluster.local"}))
		Expect(cfg.Validate()).To(Succeed())
	})

	It("defaults to the Delta transport, a 64 MiB receive limit and 15s/10s keepalives", func() {
		cfg := mcpclient.Config{Addresses: []string{"copilot.service.cf.internal:9000"}}.WithDefaults()
		Expect(cfg.Transport).To(Equal("delta"))
		Expect(cfg.MaxReceiveMessageBytes).To(Equal(64 << 20))
		Expect(cfg.KeepaliveTime.Std()).To(Equal(15 * time.Second))
		Expect(cfg.KeepaliveTimeout.Std()).To(Equal(10 * time.Second))
	})

	It("reads the transport fields from JSON", func() {
		var cfg mcpclient.Config
		Expect(json.Unmarshal([]byte(`{"addresses":["10.0.0.1:9000"],"transport":"sotw","max_receive_message_bytes":1024,
			"keepalive_time":"20s","keepalive_timeout":"3s"}`), &cfg)).To(Succeed())
		Expect(cfg.Transport).To(Equal(mcpclient.TransportSotW))
		Expect(cfg.MaxReceiveMessageBytes).To(Equal(1024))
		Expect(cfg.KeepaliveTime).To(Equal(jsonduration.Duration(20 * time.Second)))
		Expect(cfg.KeepaliveTimeout).To(Equal(jsonduration.Duration(3 * time.Second)))
		Expect(cfg.WithDefaults().Validate()).To(Succeed())
	})

	It("keeps values that are set", func() {
		cfg := mcpclient.Config{NodeID: "router~1.2.3.4~x~y", Kinds: []mesh.Kind{mesh.KindGateway}, Version: "v1alpha3"}.WithDefaults()
		Expect(cfg.NodeID).To(Equal("router~1.2.3.4~x~y"))
		Expect(cfg.Kinds).To(Equal([]mesh.Kind{mesh.KindGateway}))
		Expect(cfg.Version).To(Equal("v1alpha3"))
	})

	It("reads the snake_case JSON the pilot job renders", func() {
		var cfg mcpclient.Config
		Expect(json.Unmarshal([]byte(`{"addresses":["10.0.0.1:9000"],"node_id":"router~10.0.0.2~p~d","kinds":["Gateway"],"version":"v1beta1"}`), &cfg)).To(Succeed())
		Expect(cfg).To(Equal(mcpclient.Config{Addresses: []string{"10.0.0.1:9000"}, NodeID: "router~10.0.0.2~p~d", Kinds: []mesh.Kind{mesh.KindGateway}, Version: "v1beta1"}))
	})

	DescribeTable("Validate",
		func(cfg mcpclient.Config, message string) {
			err := cfg.Validate()
			if message == "" {
				Expect(err).NotTo(HaveOccurred())
				return
			}
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("valid", mcpclient.Config{Addresses: []string{"a:1", "b:2"}, NodeID: "n", Kinds: []mesh.Kind{mesh.KindGateway}, Version: "v1"}, ""),
		Entry("no address", mcpclient.Config{NodeID: "n", Kinds: []mesh.Kind{mesh.KindGateway}, Version: "v1"}, "at least one copilot address"),
		Entry("address without port", mcpclient.Config{Addresses: []string{"copilot"}, NodeID: "n", Kinds: []mesh.Kind{mesh.KindGateway}, Version: "v1"}, `"copilot" is not host:port`),
		Entry("no node id", mcpclient.Config{Addresses: []string{"a:1"}, Kinds: []mesh.Kind{mesh.KindGateway}, Version: "v1"}, "node_id: required"),
		Entry("no kinds", mcpclient.Config{Addresses: []string{"a:1"}, NodeID: "n", Version: "v1"}, "at least one kind"),
		Entry("unknown kind", mcpclient.Config{Addresses: []string{"a:1"}, NodeID: "n", Kinds: []mesh.Kind{"EnvoyFilter"}, Version: "v1"}, `unknown kind "EnvoyFilter"`),
		Entry("kind twice", mcpclient.Config{Addresses: []string{"a:1"}, NodeID: "n", Kinds: []mesh.Kind{mesh.KindGateway, mesh.KindGateway}, Version: "v1"}, "Gateway listed twice"),
		Entry("unknown transport", mcpclient.Config{Addresses: []string{"a:1"}, NodeID: "n", Kinds: []mesh.Kind{mesh.KindGateway}, Version: "v1", Transport: "incremental"},
			`transport: "incremental" is neither "delta" nor "sotw"`),
		Entry("negative receive limit", mcpclient.Config{Addresses: []string{"a:1"}, NodeID: "n", Kinds: []mesh.Kind{mesh.KindGateway}, Version: "v1", MaxReceiveMessageBytes: -1},
			"max_receive_message_bytes: -1 is negative"),
		Entry("keepalive below gRPC's floor", mcpclient.Config{Addresses: []string{"a:1"}, NodeID: "n", Kinds: []mesh.Kind{mesh.KindGateway}, Version: "v1", KeepaliveTime: jsonduration.Duration(time.Second)},
			"keepalive_time: 1s is below gRPC's minimum of 10s"),
		Entry("negative keepalive timeout", mcpclient.Config{Addresses: []string{"a:1"}, NodeID: "n", Kinds: []mesh.Kind{mesh.KindGateway}, Version: "v1", KeepaliveTimeout: jsonduration.Duration(-time.Second)},
			"keepalive_timeout: -1s is negative"),
		Entry("a version nothing is served under", mcpclient.Config{Addresses: []string{"a:1"}, NodeID: "n", Kinds: []mesh.Kind{mesh.KindGateway}, Version: "v2"},
			`version: "v2" is no version any kind is served under`),
	)
})

var _ = Describe("Config.CollectionOf", func() {
	It("asks for a kind under the configured version, or under its oldest one when it has no such version (as istiod does)", func() {
		cfg := mcpclient.Config{Version: "v1alpha3"}
		vs, _ := mesh.KindVirtualService.Info()
		ap, _ := mesh.KindAuthorizationPolicy.Info()
		Expect(cfg.CollectionOf(vs)).To(Equal("networking.istio.io/v1alpha3/VirtualService"))
		Expect(cfg.CollectionOf(ap)).To(Equal("security.istio.io/v1beta1/AuthorizationPolicy"))
		Expect(mcpclient.Config{Version: "v1"}.CollectionOf(ap)).To(Equal("security.istio.io/v1/AuthorizationPolicy"))
	})
})
