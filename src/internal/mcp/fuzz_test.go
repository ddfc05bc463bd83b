package mcp_test

import (
	"slices"
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

// FuzzDecodeDelta feeds DecodeDelta a collection, two updated entries
// (name, version, MCP resource bytes; an empty value means "absent") and
// one removed name. Decoding must never panic; every entry must be either
// accepted well formed or rejected by name; accepted objects must carry the
// name they were sent under and survive a round trip.
func FuzzDecodeDelta(f *testing.F) {
	world := mcptest.World(70, "a.example.com", "b.example.com")
	vs, err := mcp.EncodeCollection(world, mesh.KindVirtualService)
	if err != nil {
		f.Fatal(err)
	}
	objects := world.Of(mesh.KindVirtualService)
	a, b := objects[0], objects[1]
	badName := rewrap(f, vs[0].Value, func(r *mcpv1alpha1.Resource) { r.Metadata.Name = "no-namespace" })

	const vsURL = "networking.istio.io/v1/VirtualService"
	f.Add(vsURL, a.Key(), a.Version, vs[0].Value, b.Key(), b.Version, vs[1].Value, "cloudfoundry/c")
	f.Add(vsURL, a.Key(), "", vs[0].Value, a.Key(), a.Version, vs[0].Value, "")
	f.Add(vsURL, a.Key(), a.Version, vs[0].Value, "", "", []byte(nil), a.Key())
	f.Add(vsURL, b.Key(), b.Version, vs[0].Value, "", "", []byte(nil), "no-namespace")
	f.Add(vsURL, "no-namespace", "1", badName, a.Key(), a.Version, vs[0].Value[:len(vs[0].Value)/2], "")
	f.Add("networking.istio.io/v1alpha3/Gateway", a.Key(), a.Version, vs[0].Value, "", "", []byte(nil), "")
	f.Add("networking.istio.io/v1/EnvoyFilter", a.Key(), a.Version, vs[0].Value, "", "", []byte(nil), "")
	f.Add("not-a-collection", "", "", []byte{0xff}, "", "", []byte{0x0a}, "/")

	f.Fuzz(func(t *testing.T, typeURL, name1, version1 string, body1 []byte, name2, version2 string, body2 []byte, removedName string) {
		var entries []mcp.DeltaResource
		for _, e := range []struct {
			name, version string
			body          []byte
		}{{name1, version1, body1}, {name2, version2, body2}} {
			if len(e.body) > 0 {
				entries = append(entries, mcp.DeltaResource{Name: e.name, Version: e.version, Body: &anypb.Any{TypeUrl: mcp.ResourceTypeURL, Value: e.body}})
			}
		}
		var removed []string
		if removedName != "" {
			removed = []string{removedName}
		}
		d, err := mcp.DecodeDelta(typeURL, entries, removed)
		if err != nil {
			if _, perr := mesh.ParseCollection(typeURL); perr == nil {
				t.Fatalf("failed a known collection %q: %v", typeURL, err)
			}
			return
		}
		checkDelta(t, typeURL, entries, removed, d)
	})
}

func checkDelta(t *testing.T, typeURL string, entries []mcp.DeltaResource, removed []string, d mcp.Delta) {
	if len(d.Updated)+len(d.Removed)+len(d.Rejected) < len(entries) {
		t.Fatalf("lost entries: %d in, %d updated, %d removed, %d rejected", len(entries), len(d.Updated), len(d.Removed), len(d.Rejected))
	}
	sent := map[string]bool{}
	for _, e := range entries {
		sent[e.Name] = true
	}
	checkDecoded(t, typeURL, d.Updated, len(d.Updated))
	for _, r := range d.Updated {
		if !sent[r.Key()] {
			t.Fatalf("accepted %s under a name it was not sent under", r.Key())
		}
	}
	for _, key := range d.Removed {
		if !slices.Contains(removed, key) || sent[key] {
			t.Fatalf("removed %q, which was not (only) removed", key)
		}
	}
}
