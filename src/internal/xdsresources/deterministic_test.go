package xdsresources_test

import (
	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

var _ = Describe("Translate", func() {
	It("gives byte-identical resources for the same IR, so nothing unchanged is pushed again", func() {
		ir := loadIR("testdata/in/route-policy.yaml")
		opts := loadOptions("testdata/in/route-policy.yaml")
		first, _ := xdsresources.Translate(ir, opts)
		for range 10 {
			again, _ := xdsresources.Translate(ir, opts)
			for name, l := range first.GatewayListeners {
				a, err := proto.MarshalOptions{Deterministic: true}.Marshal(l)
				Expect(err).NotTo(HaveOccurred())
				b, err := proto.MarshalOptions{Deterministic: true}.Marshal(again.GatewayListeners[name])
				Expect(err).NotTo(HaveOccurred())
				Expect(a).To(Equal(b), name)
			}
			for name, rc := range first.Routes {
				Expect(proto.Equal(rc, again.Routes[name])).To(BeTrue(), name)
			}
		}
	})
})

var _ = Describe("ConfigDump", func() {
	It("holds what each class is served, in Envoy's admin shape", func() {
		res, errs := xdsresources.Translate(loadIR("testdata/in/weighted-80-20.yaml"), xdsresources.Options{})
		Expect(errs).To(BeEmpty())
		for class, counts := range map[xdsresources.Class][4]int{
			xdsresources.ClassGateway: {len(res.GatewayListeners), 1, len(res.GatewayClusters), len(res.GatewayEndpoints)},
			xdsresources.ClassMesh:    {len(res.MeshListeners), 1, len(res.MeshClusters), len(res.MeshEndpoints)},
		} {
			dump, err := xdsresources.ConfigDump(res, class, xdsresources.NodeResources{}, map[string]string{"Listener": "v1"})
			Expect(err).NotTo(HaveOccurred())
			Expect(dump.ValidateAll()).To(Succeed())
			Expect(dump.GetConfigs()).To(HaveLen(4))
			listeners := &adminv3.ListenersConfigDump{}
			Expect(dump.GetConfigs()[0].UnmarshalTo(listeners)).To(Succeed())
			Expect(listeners.GetDynamicListeners()).To(HaveLen(counts[0]), string(class))
			Expect(listeners.GetVersionInfo()).To(Equal("v1"))
			routes := &adminv3.RoutesConfigDump{}
			Expect(dump.GetConfigs()[1].UnmarshalTo(routes)).To(Succeed())
			Expect(routes.GetDynamicRouteConfigs()).To(HaveLen(counts[1]), string(class))
			clusters := &adminv3.ClustersConfigDump{}
			Expect(dump.GetConfigs()[2].UnmarshalTo(clusters)).To(Succeed())
			Expect(clusters.GetDynamicActiveClusters()).To(HaveLen(counts[2]))
		}
	})
})
