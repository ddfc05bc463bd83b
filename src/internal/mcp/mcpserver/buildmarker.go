package mcpserver

import (
	"crypto/sha256"
	"encoding/hex"
	"iter"
	"slices"

	"google.golang.org/protobuf/types/known/anypb"

	"code.cloudfoundry.org/cf-mesh/internal/mcp"
	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// buildMarker returns next's build marker: a collection of one resource,
// mcp.BuildCompleteName, whose version is next's build. When no collection
// changed the build is the previous one and so is its marker.
func buildMarker(next, previous *snapshot) (*collection, error) {
	build := buildVersion(next.collections)
	if previous != nil && previous.marker.version == build {
		return previous.marker, nil
	}
	encoded, err := mcp.EncodeBuildComplete(build)
	if err != nil {
		return nil, err
	}
	c := &collection{
		version:   build,
		resources: []*anypb.Any{encoded},
		keys:      []string{mcp.BuildCompleteName},
		versions:  []string{build},
		index:     map[string]int{mcp.BuildCompleteName: 0},
		changed:   []string{mcp.BuildCompleteName},
	}
	if previous != nil {
		c.base = previous.marker.version
	}
	return c, nil
}

// buildVersion names a snapshot by its content, a hash of every kind's
// collection version: equal content gives an equal build, on any copilot.
func buildVersion(collections map[mesh.Kind]*collection) string {
	h := sha256.New()
	for _, info := range mesh.Kinds() {
		h.Write([]byte(info.Kind))
		h.Write([]byte{0})
		h.Write([]byte(collections[info.Kind].version))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// pushOrder is the order a push pass serves a stream's subscriptions in:
// by type URL, the build marker last, so a client that receives the marker
// has received everything the pass sent before it.
func pushOrder(typeURLs iter.Seq[string]) []string {
	out := slices.Sorted(typeURLs)
	if i := slices.Index(out, mcp.BuildCompleteCollection); i >= 0 {
		out = append(slices.Delete(out, i, i+1), mcp.BuildCompleteCollection)
	}
	return out
}
