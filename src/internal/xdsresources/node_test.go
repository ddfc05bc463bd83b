package xdsresources_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

var _ = Describe("a sidecar's own resources", func() {
	const app = "bbbbbbbb-2222-4222-8222-000000000002"
	ir := func(port uint32) envoyir.IR {
		cluster := envoyir.ClusterName(port, "p", "svc.apps.internal")
		return envoyir.IR{
			MeshHosts: []envoyir.VirtualHost{{Name: "svc.apps.internal", ServicePorts: []uint32{port}, Routes: []envoyir.Route{{
				Name: "r", PathPrefix: "/", Clusters: []envoyir.WeightedCluster{{Cluster: cluster, Weight: 100}},
			}}}},
			SidecarHosts:    []string{"svc.apps.internal"},
			Clusters:        []envoyir.Cluster{{Name: cluster, Host: "svc.apps.internal", Port: port, Subset: "p"}},
			LoadAssignments: []envoyir.LoadAssignment{{Cluster: cluster}},
			Workloads:       envoyir.Workloads{ByContainerIP: map[string]string{"10.255.0.9": app}},
			Inbound:         []envoyir.InboundApp{{AppGUID: app, Ports: []uint32{port}}},
		}
	}
	node, _ := xdsresources.ParseNodeID("sidecar~10.255.0.9~0a1b2c3d-0000-4000-8000-00000000000b~x")
	opts := xdsresources.Options{Mesh: xdsresources.MeshOptions{MTLS: true, InstanceIdentityCA: "ca"}}

	DescribeTable("never takes a port that Diego's executor or garden-cni's redirect owns",
		func(port uint32, want []string) {
			res, _ := xdsresources.Translate(ir(port), opts)
			own, err := res.Sidecar(node)
			Expect(err).NotTo(HaveOccurred())
			var names []string
			for name := range own.Listeners {
				names = append(names, name)
			}
			Expect(names).To(ConsistOf(want))
		},
		Entry("an app port", uint32(8080), []string{"virtualOutbound", "0.0.0.0_8080", "10.255.0.9_8080"}),
		Entry("the executor's first proxy port", uint32(61001), []string{"virtualOutbound"}),
		Entry("the redirect port", uint32(15001), []string{"virtualOutbound"}),
	)

	It("reports a mesh host on a port the executor owns", func() {
		_, errs := xdsresources.Translate(ir(61001), opts)
		Expect(errs).To(ContainElement(MatchError(ContainSubstring("port 61001 of a mesh host is Diego's"))))
	})
})
