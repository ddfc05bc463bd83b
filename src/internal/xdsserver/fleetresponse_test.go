package xdsserver

import (
	"reflect"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	streamv3 "github.com/envoyproxy/go-control-plane/pkg/server/stream/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("fleetResponse's returned resources (ADR 20, third amendment)", func() {
	It("applies a response to the proxy's own map, in place and only once it is sent", func() {
		c := newFleetCache(resourcev3.EndpointType, "p-")
		la := func(name string, priority uint32) types.Resource {
			return &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{Priority: priority}}}
		}
		Expect(c.UpdateResources(map[string]types.Resource{"a": la("a", 1), "b": la("b", 1)}, nil)).To(Succeed())
		sub := streamv3.NewDeltaSubscription([]string{"a", "b"}, nil, nil, false)
		out := make(chan cachev3.DeltaResponse, 1)
		_, err := c.CreateDeltaWatch(&cachev3.DeltaRequest{TypeUrl: resourcev3.EndpointType}, sub, out)
		Expect(err).NotTo(HaveOccurred())
		first := <-out
		sub.SetReturnedResources(first.GetNextVersionMap())
		held := sub.ReturnedResources()
		Expect(held).To(HaveKeyWithValue(knownVersionKey, "1"))
		Expect(held).To(HaveKey("a"))
		versionOfA := held["a"]

		_, err = c.CreateDeltaWatch(&cachev3.DeltaRequest{TypeUrl: resourcev3.EndpointType, ResponseNonce: "1"}, sub, out)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.UpdateResources(map[string]types.Resource{"a": la("a", 2)}, []string{"b"})).To(Succeed())
		var next cachev3.DeltaResponse
		Expect(out).To(Receive(&next))
		Expect(held).To(HaveKeyWithValue("a", versionOfA), "not applied before the stream sends it")
		Expect(held).To(HaveKey("b"))

		returned := next.GetNextVersionMap()
		Expect(reflect.ValueOf(returned).UnsafePointer()).To(Equal(reflect.ValueOf(held).UnsafePointer()), "the proxy's own map, not a copy")
		Expect(returned).To(HaveKeyWithValue(knownVersionKey, "2"))
		Expect(returned["a"]).NotTo(Equal(versionOfA))
		Expect(returned).NotTo(HaveKey("b"), "removed")
		Expect(next.GetReturnedResources()).To(Equal(returned), "asked again, the same")
	})
})
