package routingtable_test

import (
	"reflect"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
	"code.cloudfoundry.org/cf-mesh/internal/source"
)

var _ = Describe("Route equality", func() {
	weight := func(w int32) *int32 { return &w }
	endpoint := func() source.Endpoint {
		return source.Endpoint{URI: "shop.example.com", Address: "10.0.0.1", Port: 61000, TLSPort: 61001,
			ServerCertDomainSAN: "inst-0", AppGUID: "app", ProcessGUID: "proc", ProcessType: "web", InstanceID: "inst-0",
			InstanceIndex: "0", Protocol: "http1", AvailabilityZone: "z1", IsolationSegment: "iso", LoadBalancing: "round-robin",
			Tags: map[string]string{"component": "route-emitter"}, Internal: true}
	}
	destination := func() routingtable.Destination {
		return routingtable.Destination{Key: "proc", AppGUID: "app", ProcessType: "web", ProcessGUID: "proc", Port: 8080,
			Protocol: "http1", Weight: weight(80), Endpoints: []source.Endpoint{endpoint()}}
	}
	route := func() routingtable.Route {
		return routingtable.Route{GUID: "route", Host: "shop.example.com", Path: "/cart", Internal: true,
			LoadBalancing: "least-request", Origin: routingtable.OriginCloudController, Annotations: map[string]string{"a": "b"},
			EnforceRoutePolicies: true, RoutePolicies: []source.Caller{{Kind: "app", GUID: "caller"}},
			Destinations: []routingtable.Destination{destination()}}
	}

	It("holds equal copies equal, and a nil collection equal to an empty one", func() {
		Expect(route().Equal(route())).To(BeTrue())
		a, b := route(), route()
		a.Annotations, b.Annotations = nil, map[string]string{}
		Expect(a.Equal(b)).To(BeTrue())
		Expect(routingtable.Destination{Weight: weight(50)}.Equal(routingtable.Destination{Weight: weight(50)})).To(BeTrue(), "weights by value")
	})

	// Every field, this one and those added later, must take part: a
	// field Equal ignored would let the compiler serve stale objects.
	It("tells apart routes that differ in any one field, however deep", func() {
		for _, path := range fieldPaths(reflect.TypeOf(routingtable.Route{}), nil) {
			changed := route()
			alter(reflect.ValueOf(&changed).Elem(), path)
			Expect(route().Equal(changed)).To(BeFalse(), "a change of %v", path)
			Expect(changed.Equal(route())).To(BeFalse(), "a change of %v, the other way", path)
		}
	})

	// The copilot skips a full build when routes changed only in their
	// endpoints (ADR 20): every other field must take part.
	It("holds routes equal but for endpoints when only an endpoint field differs, and tells apart any other change", func() {
		endpoints := reflect.TypeOf(routingtable.Destination{}).NumField() - 1
		Expect(reflect.TypeOf(routingtable.Destination{}).Field(endpoints).Name).To(Equal("Endpoints"))
		for _, path := range fieldPaths(reflect.TypeOf(routingtable.Route{}), nil) {
			changed := route()
			alter(reflect.ValueOf(&changed).Elem(), path)
			inEndpoints := len(path) > 3 && path[2] == endpoints
			Expect(route().EqualButEndpoints(changed)).To(Equal(inEndpoints), "a change of %v", path)
			Expect(changed.EqualButEndpoints(route())).To(Equal(inEndpoints), "a change of %v, the other way", path)
		}
		more := route()
		more.Destinations[0].Endpoints = append(more.Destinations[0].Endpoints, endpoint())
		Expect(route().EqualButEndpoints(more)).To(BeTrue(), "an endpoint more")
		Expect(route().Equal(more)).To(BeFalse())
	})
})

// fieldPaths lists the path (field indexes; -1 for the first element of a
// slice) to every leaf field of t, descending into slices of structs.
func fieldPaths(t reflect.Type, prefix []int) [][]int {
	var out [][]int
	for i := range t.NumField() {
		path := append(append([]int{}, prefix...), i)
		f := t.Field(i).Type
		if f.Kind() == reflect.Slice && f.Elem().Kind() == reflect.Struct {
			out = append(out, fieldPaths(f.Elem(), append(path, -1))...)
			continue
		}
		out = append(out, path)
	}
	return out
}

// alter changes the field at path to another value of its type.
func alter(v reflect.Value, path []int) {
	for i, step := range path {
		if step == -1 {
			v = v.Index(0)
			continue
		}
		v = v.Field(step)
		if i == len(path)-1 {
			break
		}
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "-changed")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Uint32:
		v.SetUint(v.Uint() + 1)
	case reflect.Pointer:
		n := reflect.New(v.Type().Elem())
		n.Elem().SetInt(v.Elem().Int() + 1)
		v.Set(n)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		m.SetMapIndex(reflect.ValueOf("changed"), reflect.ValueOf("changed"))
		v.Set(m)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
	default:
		Fail("alter: no rule for a " + v.Kind().String())
	}
}
