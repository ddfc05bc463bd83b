package xdsresources_test

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/types/known/structpb"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

var _ = Describe("ClassOf", func() {
	node := func(id string, metadata map[string]any) *corev3.Node {
		md, err := structpb.NewStruct(metadata)
		Expect(err).NotTo(HaveOccurred())
		return &corev3.Node{Id: id, Metadata: md}
	}

	DescribeTable("classifies connecting proxies",
		func(id string, metadata map[string]any, want xdsresources.Class, wantErr string) {
			class, err := xdsresources.ClassOf(node(id, metadata))
			if wantErr != "" {
				Expect(err).To(MatchError(ContainSubstring(wantErr)))
				return
			}
			Expect(err).NotTo(HaveOccurred())
			Expect(class).To(Equal(want))
		},
		Entry("an ingress gateway", "router~10.0.0.5~gateway-0~cf.internal", nil, xdsresources.ClassGateway, ""),
		Entry("a proxyless gRPC client", "sidecar~10.0.0.6~client~cf.internal", map[string]any{"GENERATOR": "grpc"}, xdsresources.ClassMesh, ""),
		Entry("a Diego container Envoy (no metadata)", "sidecar~10.255.1.2~7f9c-instance~x", nil, xdsresources.ClassSidecar, ""),
		Entry("an Istio-style sidecar node", "sidecar~10.255.1.2~shop-7f9c.cf~cf.svc.cluster.local", nil, xdsresources.ClassSidecar, ""),
		Entry("too few parts", "router~10.0.0.5~gw", nil, xdsresources.Class(""), "want <type>~<ip>~<id>~<domain>"),
		Entry("unknown type", "waypoint~10.0.0.5~gw~x", nil, xdsresources.Class(""), "neither router nor sidecar"),
		Entry("bad IP", "router~not-an-ip~gw~x", nil, xdsresources.Class(""), "not an IP address"),
		Entry("empty id", "router~10.0.0.5~~x", nil, xdsresources.Class(""), "empty workload id"),
	)
})
