package mcp_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	mcpv1alpha1 "istio.io/api/mcp/v1alpha1"

	"code.cloudfoundry.org/cf-mesh/internal/mcp"
	"code.cloudfoundry.org/cf-mesh/internal/mcp/internal/mcptest"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// FuzzDecodeCollection feeds DecodeCollection a collection type URL and up
// to two resources (an empty value means "absent"), all of outer type
// outerType. Decoding must never panic; what it accepts must be well formed
// and must survive an encode/decode round trip unchanged.
func FuzzDecodeCollection(f *testing.F) {
	world := mcptest.World(70, "a.example.com", "b.example.com")
	vs, err := mcp.EncodeCollection(world, mesh.KindVirtualService)
	if err != nil {
		f.Fatal(err)
	}
	gw, err := mcp.EncodeCollection(world, mesh.KindGateway)
	if err != nil {
		f.Fatal(err)
	}
	badName := rewrap(f, vs[0].Value, func(r *mcpv1alpha1.Resource) { r.Metadata.Name = "no-namespace" })
	noVersion := rewrap(f, vs[0].Value, func(r *mcpv1alpha1.Resource) { r.Metadata.Version = "" })
	wrongBody := rewrap(f, vs[0].Value, func(r *mcpv1alpha1.Resource) {
		r.Body = &anypb.Any{TypeUrl: "type.googleapis.com/istio.networking.v1alpha3.Gateway"}
	})

	const vsURL, gwURL = "networking.istio.io/v1/VirtualService", "networking.istio.io/v1alpha3/Gateway"
	f.Add(vsURL, mcp.ResourceTypeURL, vs[0].Value, vs[1].Value)
	f.Add("networking.istio.io/v1alpha3/VirtualService", mcp.ResourceTypeURL, vs[1].Value, []byte(nil))
	f.Add(gwURL, mcp.ResourceTypeURL, gw[0].Value, []byte(nil))
	f.Add(vsURL, mcp.ResourceTypeURL, vs[0].Value, vs[0].Value)
	f.Add(vsURL, mcp.ResourceTypeURL, vs[0].Value[:len(vs[0].Value)/2], []byte(nil))
	f.Add(vsURL, mcp.ResourceTypeURL, badName, vs[1].Value)
	f.Add(vsURL, mcp.ResourceTypeURL, noVersion, []byte(nil))
	f.Add(vsURL, mcp.ResourceTypeURL, wrongBody, []byte(nil))
	f.Add(gwURL, mcp.ResourceTypeURL, vs[0].Value, []byte(nil))
	f.Add(vsURL, "type.googleapis.com/istio.networking.v1alpha3.VirtualService", vs[0].Value, []byte(nil))
	f.Add("networking.istio.io/v1/EnvoyFilter", mcp.ResourceTypeURL, vs[0].Value, []byte(nil))
	f.Add("not-a-collection", mcp.ResourceTypeURL, []byte{0xff}, []byte{0x0a})

	f.Fuzz(func(t *testing.T, typeURL, outerType string, first, second []byte) {
		var in []*anypb.Any
		for _, v := range [][]byte{first, second} {
			if len(v) > 0 {
				in = append(in, &anypb.Any{TypeUrl: outerType, Value: v})
			}
		}
		decoded, err := mcp.DecodeCollection(typeURL, in)
		if err != nil {
			return
		}
		checkDecoded(t, typeURL, decoded, len(in))
	})
}

func checkDecoded(t *testing.T, typeURL string, decoded []mesh.Resource, count int) {
	kind, err := mesh.ParseCollection(typeURL)
	if err != nil {
		t.Fatalf("accepted unknown collection %q", typeURL)
	}
	info, _ := kind.Info()
	if len(decoded) != count {
		t.Fatalf("decoded %d of %d resources", len(decoded), count)
	}
	for _, r := range decoded {
		if r.Kind != kind || r.Namespace == "" || r.Name == "" || strings.Contains(r.Namespace+r.Name, "/") || r.Version == "" {
			t.Fatalf("accepted malformed resource %+v", r)
		}
		if proto.MessageName(r.Spec) != protoreflect.FullName(info.ProtoName) {
			t.Fatalf("accepted body %s for %s", proto.MessageName(r.Spec), kind)
		}
	}
	cfg, err := mesh.NewConfig(decoded)
	if err != nil {
		t.Fatalf("accepted duplicates: %v", err)
	}
	encoded, err := mcp.EncodeCollection(cfg, kind)
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	again, err := mcp.DecodeCollection(typeURL, encoded)
	if err != nil {
		t.Fatalf("re-decode: %v", err)
	}
	for i, r := range cfg.Of(kind) {
		if again[i].Key() != r.Key() || again[i].Version != r.Version || !proto.Equal(again[i].Spec, r.Spec) {
			t.Fatalf("round trip changed %s", r.Key())
		}
	}
}

func rewrap(f *testing.F, value []byte, change func(*mcpv1alpha1.Resource)) []byte {
	var r mcpv1alpha1.Resource
	if err := proto.Unmarshal(value, &r); err != nil {
		f.Fatal(err)
	}
	change(&r)
	out, err := proto.Marshal(&r)
	if err != nil {
		f.Fatal(err)
	}
	return out
}
