package mcp

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
	mcpv1alpha1 "istio.io/api/mcp/v1alpha1"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"

	// Register the Istio body messages so DecodeCollection can resolve them
	// by ProtoName.
	_ "istio.io/api/networking/v1alpha3"
	_ "istio.io/api/security/v1beta1"
)

// ResourceTypeURL is the type URL of every object Any in an MCP-over-xDS
// response; istiod's client rejects any other.
const ResourceTypeURL = "type.googleapis.com/istio.mcp.v1alpha1.Resource"

// typeURLPrefix is the prefix protobuf uses for Any type URLs.
const typeURLPrefix = "type.googleapis.com/"

// deterministic marshalling gives equal bytes for equal inputs, including
// maps (labels, annotations, Istio specs with map fields).
var deterministic = proto.MarshalOptions{Deterministic: true}

// EncodeCollection renders the objects of one kind as MCP resources, in the
// Config's order (sorted by key). It fails when kind is unknown or an object's
// Spec is missing or is not the kind's proto message.
func EncodeCollection(cfg mesh.Config, kind mesh.Kind) ([]*anypb.Any, error) {
	info, ok := kind.Info()
	if !ok {
		return nil, fmt.Errorf("encode collection: unknown kind %q", kind)
	}
	resources := cfg.Of(kind)
	out := make([]*anypb.Any, 0, len(resources))
	for _, r := range resources {
		a, err := encodeResource(info, r)
		if err != nil {
			return nil, fmt.Errorf("encode %s %s: %w", kind, r.Key(), err)
		}
		out = append(out, a)
	}
	return out, nil
}

// EncodeResource renders one object as an MCP resource, exactly as
// EncodeCollection renders it inside its collection. Equal keys and versions
// give equal bytes, so an encoding may be reused while the version holds.
func EncodeResource(r mesh.Resource) (*anypb.Any, error) {
	info, ok := r.Kind.Info()
	if !ok {
		return nil, fmt.Errorf("encode %s: unknown kind %q", r.Key(), r.Kind)
	}
	a, err := encodeResource(info, r)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", r.Kind, r.Key(), err)
	}
	return a, nil
}

func encodeResource(info mesh.KindInfo, r mesh.Resource) (*anypb.Any, error) {
	if r.Spec == nil {
		return nil, fmt.Errorf("no spec")
	}
	if got := proto.MessageName(r.Spec); got != protoreflect.FullName(info.ProtoName) {
		return nil, fmt.Errorf("spec is %s, want %s", got, info.ProtoName)
	}
	body, err := deterministic.Marshal(r.Spec)
	if err != nil {
		return nil, fmt.Errorf("marshal spec: %w", err)
	}
	wrapped, err := deterministic.Marshal(&mcpv1alpha1.Resource{
		Metadata: &mcpv1alpha1.Metadata{
			Name:        r.Key(),
			Version:     r.Version,
			Labels:      r.Labels,
			Annotations: r.Annotations,
		},
		Body: &anypb.Any{TypeUrl: typeURLPrefix + info.ProtoName, Value: body},
	})
	if err != nil {
		return nil, fmt.Errorf("marshal mcp resource: %w", err)
	}
	return &anypb.Any{TypeUrl: ResourceTypeURL, Value: wrapped}, nil
}

// DecodeCollection parses the resources of one MCP response for the
// collection typeURL (`group/version/Kind`). It is strict: an unknown
// collection, a resource that is not an istio.mcp.v1alpha1.Resource, a name
// that is not exactly `namespace/name`, a body that is not the kind's proto,
// a duplicate name or a body that does not unmarshal fails the whole
// collection with an error naming the resource's index (and name when known).
// A resource without a metadata version gets its content version.
func DecodeCollection(typeURL string, resources []*anypb.Any) ([]mesh.Resource, error) {
	info, bodyType, err := collectionTypes(typeURL)
	if err != nil {
		return nil, err
	}
	out := make([]mesh.Resource, 0, len(resources))
	seen := make(map[string]bool, len(resources))
	for i, a := range resources {
		r, err := decodeResource(info, bodyType, a)
		if err != nil {
			return nil, fmt.Errorf("decode %s resource %d: %w", typeURL, i, err)
		}
		if seen[r.Key()] {
			return nil, fmt.Errorf("decode %s resource %d (%s): duplicate name", typeURL, i, r.Key())
		}
		seen[r.Key()] = true
		out = append(out, r)
	}
	return out, nil
}

// DecodeResource parses one MCP resource of the collection typeURL with the
// same strictness as DecodeCollection.
func DecodeResource(typeURL string, a *anypb.Any) (mesh.Resource, error) {
	info, bodyType, err := collectionTypes(typeURL)
	if err != nil {
		return mesh.Resource{}, err
	}
	return decodeResource(info, bodyType, a)
}

// collectionTypes resolves a collection type URL to its kind and body type.
func collectionTypes(typeURL string) (mesh.KindInfo, protoreflect.MessageType, error) {
	kind, err := mesh.ParseCollection(typeURL)
	if err != nil {
		return mesh.KindInfo{}, nil, fmt.Errorf("decode: %w", err)
	}
	info, _ := kind.Info()
	bodyType, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(info.ProtoName))
	if err != nil {
		return mesh.KindInfo{}, nil, fmt.Errorf("decode %s: body type %s: %w", typeURL, info.ProtoName, err)
	}
	return info, bodyType, nil
}

func decodeResource(info mesh.KindInfo, bodyType protoreflect.MessageType, a *anypb.Any) (mesh.Resource, error) {
	if a == nil {
		return mesh.Resource{}, fmt.Errorf("missing")
	}
	if a.GetTypeUrl() != ResourceTypeURL {
		return mesh.Resource{}, fmt.Errorf("type %q, want %q", a.GetTypeUrl(), ResourceTypeURL)
	}
	var wrapped mcpv1alpha1.Resource
	if err := proto.Unmarshal(a.GetValue(), &wrapped); err != nil {
		return mesh.Resource{}, fmt.Errorf("unmarshal mcp resource: %w", err)
	}
	meta := wrapped.GetMetadata()
	namespace, name, err := splitName(meta.GetName())
	if err != nil {
		return mesh.Resource{}, err
	}
	spec, err := decodeBody(info, bodyType, wrapped.GetBody())
	if err != nil {
		return mesh.Resource{}, fmt.Errorf("(%s/%s): %w", namespace, name, err)
	}
	if meta.GetVersion() == "" {
		return mesh.NewResource(info.Kind, namespace, name, spec, meta.GetLabels(), meta.GetAnnotations())
	}
	return mesh.Resource{
		Kind:        info.Kind,
		Namespace:   namespace,
		Name:        name,
		Version:     meta.GetVersion(),
		Labels:      meta.GetLabels(),
		Annotations: meta.GetAnnotations(),
		Spec:        spec,
	}, nil
}

// splitName splits an MCP metadata name into namespace and name; both must
// be non-empty and there must be exactly one slash.
func splitName(full string) (string, string, error) {
	parts := strings.Split(full, "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return "", "", fmt.Errorf("name %q is not of the form namespace/name", full)
	}
	return parts[0], parts[1], nil
}

func decodeBody(info mesh.KindInfo, bodyType protoreflect.MessageType, body *anypb.Any) (proto.Message, error) {
	if body == nil {
		return nil, fmt.Errorf("no body")
	}
	if body.GetTypeUrl() != typeURLPrefix+info.ProtoName {
		return nil, fmt.Errorf("body type %q, want %q", body.GetTypeUrl(), typeURLPrefix+info.ProtoName)
	}
	spec := bodyType.New().Interface()
	if err := proto.Unmarshal(body.GetValue(), spec); err != nil {
		return nil, fmt.Errorf("unmarshal %s: %w", info.ProtoName, err)
	}
	return spec, nil
}
