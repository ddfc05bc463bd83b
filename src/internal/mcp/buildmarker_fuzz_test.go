package mcp_test

import (
	"testing"

	"google.golang.org/protobuf/types/known/anypb"
	mcpv1alpha1 "istio.io/api/mcp/v1alpha1"

	"code.cloudfoundry.org/cf-mesh/internal/mcp"
)

// FuzzDecodeBuildComplete feeds the build marker decoders up to two
// resources of outer type outerType (an empty value means "absent"), sent
// in Delta under name and version, with one removed name. Decoding must
// never panic; what it accepts must name a build that encodes again to a
// marker the decoders read back the same.
func FuzzDecodeBuildComplete(f *testing.F) {
	good, err := mcp.EncodeBuildComplete("5a1e2b3c4d")
	if err != nil {
		f.Fatal(err)
	}
	noVersion := rewrap(f, good.Value, func(r *mcpv1alpha1.Resource) { r.Metadata.Version = "" })
	otherName := rewrap(f, good.Value, func(r *mcpv1alpha1.Resource) { r.Metadata.Name = "cloudfoundry/vs" })
	noBody := rewrap(f, good.Value, func(r *mcpv1alpha1.Resource) { r.Body = nil })
	badBody := rewrap(f, good.Value, func(r *mcpv1alpha1.Resource) { r.Body.Value = []byte{0xff} })

	const name = mcp.BuildCompleteName
	f.Add(mcp.ResourceTypeURL, good.Value, []byte(nil), name, "5a1e2b3c4d", "")
	f.Add(mcp.ResourceTypeURL, good.Value, []byte(nil), name, "", name)
	f.Add(mcp.ResourceTypeURL, good.Value, good.Value, name, "5a1e2b3c4d", "")
	f.Add(mcp.ResourceTypeURL, good.Value, []byte(nil), "cloudfoundry/vs", "other", "")
	f.Add(mcp.ResourceTypeURL, noVersion, []byte(nil), name, "", "")
	f.Add(mcp.ResourceTypeURL, otherName, []byte(nil), name, "", "")
	f.Add(mcp.ResourceTypeURL, noBody, []byte(nil), name, "", "")
	f.Add(mcp.ResourceTypeURL, badBody, []byte(nil), name, "", "")
	f.Add(mcp.ResourceTypeURL, good.Value[:len(good.Value)/2], []byte(nil), name, "", "")
	f.Add("type.googleapis.com/google.protobuf.Empty", good.Value, []byte(nil), name, "", "cloudfoundry/vs")
	f.Add(mcp.ResourceTypeURL, []byte(nil), []byte(nil), "", "", "")

	f.Fuzz(func(t *testing.T, outerType string, first, second []byte, name, version, removedName string) {
		var resources []*anypb.Any
		var entries []mcp.DeltaResource
		for _, v := range [][]byte{first, second} {
			if len(v) > 0 {
				a := &anypb.Any{TypeUrl: outerType, Value: v}
				resources = append(resources, a)
				entries = append(entries, mcp.DeltaResource{Name: name, Version: version, Body: a})
			}
		}
		var removed []string
		if removedName != "" {
			removed = []string{removedName}
		}
		if build, err := mcp.DecodeBuildComplete(resources); err == nil {
			checkBuild(t, build, len(resources))
		}
		if build, err := mcp.DecodeBuildCompleteDelta(entries, removed); err == nil {
			checkBuild(t, build, len(entries))
		}
	})
}

// checkBuild checks what a decoder accepted: nothing for no resource, else
// a build that survives a round trip.
func checkBuild(t *testing.T, build string, resources int) {
	if resources == 0 {
		if build != "" {
			t.Fatalf("read build %q from no resource", build)
		}
		return
	}
	a, err := mcp.EncodeBuildComplete(build)
	if err != nil {
		t.Fatalf("accepted build %q that does not encode: %v", build, err)
	}
	again, err := mcp.DecodeBuildComplete([]*anypb.Any{a})
	if err != nil || again != build {
		t.Fatalf("round trip of build %q gave %q, %v", build, again, err)
	}
}
