package mcp

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"
	mcpv1alpha1 "istio.io/api/mcp/v1alpha1"
)

// BuildCompleteCollection is cf-mesh's own MCP collection, the build
// marker. It is no Istio kind (mesh.ParseCollection rejects it), so only a
// client that asks for it by this exact type URL gets it; istiod never
// does. Its one resource, BuildCompleteName, carries in its metadata
// version the build (the published snapshot) the server has just finished
// sending: a server sends it after the changed collections of that build on
// the same stream, so a client that handles responses in order holds the
// whole build when the marker arrives.
const BuildCompleteCollection = "mcp.cf-mesh.cloudfoundry.org/v1alpha1/BuildComplete"

// BuildCompleteName is the metadata (and Delta resource) name of the build
// marker's one resource.
const BuildCompleteName = "cf-mesh/build"

// maxBuildLength bounds a marker's build version, which ends up in logs.
const maxBuildLength = 256

// buildCompleteBodyType is the type URL of the marker's body: the marker
// says everything in its name and version.
var buildCompleteBodyType = typeURLPrefix + string(proto.MessageName(&emptypb.Empty{}))

// EncodeBuildComplete renders the build marker naming build as an MCP
// resource, as the server sends it in a BuildCompleteCollection response
// (State of the World) or as the body of its one Delta resource.
func EncodeBuildComplete(build string) (*anypb.Any, error) {
	if err := checkBuild(build); err != nil {
		return nil, fmt.Errorf("encode build marker: %w", err)
	}
	wrapped, err := deterministic.Marshal(&mcpv1alpha1.Resource{
		Metadata: &mcpv1alpha1.Metadata{Name: BuildCompleteName, Version: build},
		Body:     &anypb.Any{TypeUrl: buildCompleteBodyType},
	})
	if err != nil {
		return nil, fmt.Errorf("encode build marker: %w", err)
	}
	return &anypb.Any{TypeUrl: ResourceTypeURL, Value: wrapped}, nil
}

// DecodeBuildComplete parses the resources of a State-of-the-World
// BuildCompleteCollection response and returns the build it names. No
// resource at all gives "" and no error: a server that does not produce
// the marker answers the unknown collection once, empty. Anything else than
// exactly one well formed marker (an istio.mcp.v1alpha1.Resource named
// BuildCompleteName with a version and an empty body) is an error.
func DecodeBuildComplete(resources []*anypb.Any) (string, error) {
	switch len(resources) {
	case 0:
		return "", nil
	case 1:
		return decodeBuildComplete(resources[0])
	default:
		return "", fmt.Errorf("decode %s: %d resources, want one", BuildCompleteCollection, len(resources))
	}
}

// DecodeBuildCompleteDelta parses a Delta BuildCompleteCollection response
// as DecodeBuildComplete does: nothing updated gives "" (a server that does
// not produce the marker, or a removal of it); otherwise its one updated
// entry must be the marker under its own name, with an xDS version, when
// set, equal to the build. A removed name other than the marker's is an
// error.
func DecodeBuildCompleteDelta(updated []DeltaResource, removed []string) (string, error) {
	for _, name := range removed {
		if name != BuildCompleteName {
			return "", fmt.Errorf("decode %s: removed resource %q is not %q", BuildCompleteCollection, name, BuildCompleteName)
		}
	}
	switch len(updated) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", fmt.Errorf("decode %s: %d resources, want one", BuildCompleteCollection, len(updated))
	}
	entry := updated[0]
	if entry.Name != BuildCompleteName {
		return "", fmt.Errorf("decode %s: resource name %q, want %q", BuildCompleteCollection, entry.Name, BuildCompleteName)
	}
	build, err := decodeBuildComplete(entry.Body)
	if err != nil {
		return "", err
	}
	if entry.Version != "" && entry.Version != build {
		return "", fmt.Errorf("decode %s: resource version %q differs from the build %q", BuildCompleteCollection, entry.Version, build)
	}
	return build, nil
}

func decodeBuildComplete(a *anypb.Any) (string, error) {
	build, err := buildOf(a)
	if err != nil {
		return "", fmt.Errorf("decode %s: %w", BuildCompleteCollection, err)
	}
	return build, nil
}

func buildOf(a *anypb.Any) (string, error) {
	if a == nil {
		return "", errors.New("resource missing")
	}
	if a.GetTypeUrl() != ResourceTypeURL {
		return "", fmt.Errorf("type %q, want %q", a.GetTypeUrl(), ResourceTypeURL)
	}
	var wrapped mcpv1alpha1.Resource
	if err := proto.Unmarshal(a.GetValue(), &wrapped); err != nil {
		return "", fmt.Errorf("unmarshal mcp resource: %w", err)
	}
	if name := wrapped.GetMetadata().GetName(); name != BuildCompleteName {
		return "", fmt.Errorf("name %q, want %q", name, BuildCompleteName)
	}
	body := wrapped.GetBody()
	if body.GetTypeUrl() != buildCompleteBodyType {
		return "", fmt.Errorf("body type %q, want %q", body.GetTypeUrl(), buildCompleteBodyType)
	}
	if err := proto.Unmarshal(body.GetValue(), &emptypb.Empty{}); err != nil {
		return "", fmt.Errorf("unmarshal body: %w", err)
	}
	build := wrapped.GetMetadata().GetVersion()
	if err := checkBuild(build); err != nil {
		return "", err
	}
	return build, nil
}

func checkBuild(build string) error {
	switch {
	case build == "":
		return errors.New("no build version")
	case len(build) > maxBuildLength:
		return fmt.Errorf("build version of %d bytes, at most %d allowed", len(build), maxBuildLength)
	}
	return nil
}
