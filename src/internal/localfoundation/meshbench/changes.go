package meshbench

import (
	"fmt"
	"slices"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/envoyir"
)

// change is one change to the foundation and how to see it in xDS: the
// resource it changes and what that resource must then hold.
type change struct {
	kind          string // "endpoint-add", "endpoint-remove", "weight"
	typeURL, name string
	check         func(body []byte) bool
	make          func() error
}

// changer makes the benchmark's changes, each to a different app or
// route, spread over the foundation.
type changer struct {
	f       *Foundation
	emitter *emitter
	cc      *cloudController
	added   *addedInstance // the instance the last add registered
	weights []int          // indexes of weighted routes
}

type addedInstance struct {
	key, address string
	app          int
	ports        []uint32
}

func newChanger(f *Foundation, e *emitter, cc *cloudController) *changer {
	c := &changer{f: f, emitter: e, cc: cc}
	for r, route := range f.Routes {
		if len(route.Apps) > 1 {
			c.weights = append(c.weights, r)
		}
	}
	return c
}

// clusterOf is the cluster (and load assignment) of an app's process on
// its route.
func (c *changer) clusterOf(a int) string {
	return envoyir.ClusterName(ContainerPort, c.f.Apps[a].ProcessGUID, c.f.Apps[a].Host)
}

// endpoint is the i-th endpoint change: even ones start a new instance of
// an app (router.register or service-discovery.register), odd ones stop
// it again (the unregister).
func (c *changer) endpoint(i int) change {
	if c.added != nil {
		added := *c.added
		c.added = nil
		return change{kind: "endpoint-remove", typeURL: resourcev3.EndpointType, name: c.clusterOf(added.app),
			check: func(b []byte) bool { return !hasEndpoint(b, added.address, added.ports) },
			make:  func() error { c.emitter.unregister(added.key); return nil }}
	}
	a := (i * 7919) % len(c.f.Apps)
	inst := Instance{GUID: fmt.Sprintf("meshbench-added-%06d", i), Index: 1000 + i, CellIP: fmt.Sprintf("10.0.9.%d", i%250+1),
		HostPort: 40000 + uint32(i%10000)*2, ContainerIP: fmt.Sprintf("10.255.255.%d", i%250+1)}
	inst.TLSPort = inst.HostPort + 1
	added := addedInstance{key: inst.GUID, app: a, address: inst.CellIP, ports: []uint32{inst.HostPort, inst.TLSPort}}
	if c.f.Apps[a].Internal {
		added.address, added.ports = inst.ContainerIP, []uint32{ContainerPort}
	}
	c.added = &added
	return change{kind: "endpoint-add", typeURL: resourcev3.EndpointType, name: c.clusterOf(a),
		check: func(b []byte) bool { return hasEndpoint(b, added.address, added.ports) },
		make: func() error {
			p, err := c.f.payload(a, inst)
			if err != nil {
				return err
			}
			c.emitter.register(added.key, p)
			return nil
		}}
}

// weight is the i-th weight PATCH: a weighted route's destinations
// replaced with new weights, which every gateway must see in its route
// configuration.
func (c *changer) weight(i int) change {
	r := c.f.Routes[c.weights[(i*31)%len(c.weights)]]
	w := 10 + (i*37)%80
	if w == 50 {
		w = 55
	}
	cluster := c.clusterOf(r.Apps[0])
	return change{kind: "weight", typeURL: resourcev3.RouteType, name: "http.80",
		check: func(b []byte) bool { return hasWeight(b, r.Host, cluster, uint32(w)) },
		make:  func() error { return c.cc.cc.ReplaceDestinations(r.GUID, c.f.destinations(r, w)) }}
}

// hasEndpoint reports whether a load assignment reaches address on one of
// ports.
func hasEndpoint(body []byte, address string, ports []uint32) bool {
	var cla endpointv3.ClusterLoadAssignment
	if proto.Unmarshal(body, &cla) != nil {
		return false
	}
	for _, locality := range cla.GetEndpoints() {
		for _, e := range locality.GetLbEndpoints() {
			sa := e.GetEndpoint().GetAddress().GetSocketAddress()
			if sa.GetAddress() == address && slices.Contains(ports, sa.GetPortValue()) {
				return true
			}
		}
	}
	return false
}

// hasWeight reports whether a route configuration sends weight to cluster
// on host's virtual host.
func hasWeight(body []byte, host, cluster string, weight uint32) bool {
	var rc routev3.RouteConfiguration
	if proto.Unmarshal(body, &rc) != nil {
		return false
	}
	for _, vh := range rc.GetVirtualHosts() {
		if !slices.Contains(vh.GetDomains(), host) {
			continue
		}
		for _, r := range vh.GetRoutes() {
			for _, wc := range r.GetRoute().GetWeightedClusters().GetClusters() {
				if wc.GetName() == cluster && wc.GetWeight().GetValue() == weight {
					return true
				}
			}
		}
	}
	return false
}
