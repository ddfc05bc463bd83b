package mesh

import (
	"bytes"
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"
)

// MarshalYAML renders a Config as a stream of YAML documents, one per
// object, in Istio's CRD shape (kind, metadata, spec). Kinds appear in the
// order of Kinds(), objects sorted by key. The output is byte-stable for
// equal Configs: golden files and debug dumps rely on it.
func MarshalYAML(c Config) ([]byte, error) {
	var out bytes.Buffer
	for _, info := range kinds {
		for _, r := range c.Of(info.Kind) {
			doc, err := resourceYAML(info, r)
			if err != nil {
				return nil, err
			}
			out.WriteString("---\n")
			out.Write(doc)
		}
	}
	return out.Bytes(), nil
}

func resourceYAML(info KindInfo, r Resource) ([]byte, error) {
	spec, err := protojson.Marshal(r.Spec)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.Kind, r.Key(), err)
	}
	metadata := map[string]any{"namespace": r.Namespace, "name": r.Name, "resourceVersion": r.Version}
	if len(r.Labels) > 0 {
		metadata["labels"] = r.Labels
	}
	if len(r.Annotations) > 0 {
		metadata["annotations"] = r.Annotations
	}
	obj := map[string]any{
		"apiVersion": info.Group + "/" + info.Versions[len(info.Versions)-1],
		"kind":       string(r.Kind),
		"metadata":   metadata,
		"spec":       json.RawMessage(spec),
	}
	js, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.Kind, r.Key(), err)
	}
	return yaml.JSONToYAML(js)
}
