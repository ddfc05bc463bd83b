package mesh

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"sigs.k8s.io/yaml"

	// Register the Istio API messages the kinds name.
	_ "istio.io/api/networking/v1alpha3"
	_ "istio.io/api/security/v1beta1"
)

// NewSpec returns an empty body message for kind.
func NewSpec(kind Kind) (protoreflect.ProtoMessage, error) {
	info, ok := kind.Info()
	if !ok {
		return nil, fmt.Errorf("unknown kind %q", kind)
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(info.ProtoName))
	if err != nil {
		return nil, fmt.Errorf("kind %s: %w", kind, err)
	}
	return mt.New().Interface(), nil
}

type envelope struct {
	APIVersion string `json:"apiVersion"`
	Kind       Kind   `json:"kind"`
	Metadata   struct {
		Namespace   string            `json:"namespace"`
		Name        string            `json:"name"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		// ResourceVersion is recomputed from content and otherwise ignored.
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Spec json.RawMessage `json:"spec"`
}

// ParseYAML reads a stream of Istio objects in CRD shape (what MarshalYAML
// writes, or what an operator keeps in files) into a Config. Unknown kinds,
// unknown spec fields and objects without a namespace or name are errors
// naming the document.
func ParseYAML(data []byte) (Config, error) {
	var resources []Resource
	for i, doc := range splitDocuments(data) {
		r, err := parseDocument(doc)
		if err != nil {
			return Config{}, fmt.Errorf("document %d: %w", i+1, err)
		}
		resources = append(resources, r)
	}
	return NewConfig(resources)
}

func parseDocument(doc []byte) (Resource, error) {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return Resource{}, err
	}
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return Resource{}, err
	}
	if env.Metadata.Namespace == "" || env.Metadata.Name == "" {
		return Resource{}, fmt.Errorf("%s: metadata.namespace and metadata.name are required", env.Kind)
	}
	spec, err := NewSpec(env.Kind)
	if err != nil {
		return Resource{}, err
	}
	if len(env.Spec) > 0 {
		if err := protojson.Unmarshal(env.Spec, spec); err != nil {
			return Resource{}, fmt.Errorf("%s %s/%s: spec: %w", env.Kind, env.Metadata.Namespace, env.Metadata.Name, err)
		}
	}
	return NewResource(env.Kind, env.Metadata.Namespace, env.Metadata.Name, spec, env.Metadata.Labels, env.Metadata.Annotations)
}

// splitDocuments splits a YAML stream on `---` lines, dropping documents
// that hold nothing but comments and blank lines.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	for _, part := range strings.Split("\n"+string(data), "\n---") {
		if hasContent(part) {
			docs = append(docs, []byte(part))
		}
	}
	return docs
}

func hasContent(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed != "" && !strings.HasPrefix(trimmed, "#") {
			return true
		}
	}
	return false
}
