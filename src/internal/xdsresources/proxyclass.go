package xdsresources

import (
	"fmt"
	"net/netip"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
)

// Class is a kind of proxy the pilot serves different listeners to.
type Class string

// The classes the pilot serves.
const (
	// ClassGateway is an ingress gateway Envoy (`router~...`).
	ClassGateway Class = "gateway"
	// ClassMesh is a proxyless gRPC app (`sidecar~...` with node metadata
	// GENERATOR=grpc).
	ClassMesh Class = "mesh"
	// ClassSidecar is the Envoy Diego runs in an app container
	// (`sidecar~<container IP>~<instance GUID>~x`, no metadata).
	ClassSidecar Class = "sidecar"
)

// Node is a parsed Istio node ID, `<type>~<ip>~<id>~<domain>`.
type Node struct {
	Type   string
	IP     netip.Addr
	ID     string
	Domain string
}

// ParseNodeID parses an Istio-style node ID.
func ParseNodeID(id string) (Node, error) {
	parts := strings.Split(id, "~")
	if len(parts) != 4 {
		return Node{}, fmt.Errorf("node id %q: want <type>~<ip>~<id>~<domain>", id)
	}
	switch parts[0] {
	case "router", "sidecar":
	default:
		return Node{}, fmt.Errorf("node id %q: type %q is neither router nor sidecar", id, parts[0])
	}
	ip, err := netip.ParseAddr(parts[1])
	if err != nil {
		return Node{}, fmt.Errorf("node id %q: %q is not an IP address", id, parts[1])
	}
	if parts[2] == "" {
		return Node{}, fmt.Errorf("node id %q: empty workload id", id)
	}
	return Node{Type: parts[0], IP: ip, ID: parts[2], Domain: parts[3]}, nil
}

// ClassOf decides which class a connecting proxy belongs to.
func ClassOf(node *corev3.Node) (Class, error) {
	parsed, err := ParseNodeID(node.GetId())
	if err != nil {
		return "", err
	}
	if parsed.Type == "router" {
		return ClassGateway, nil
	}
	if node.GetMetadata().GetFields()["GENERATOR"].GetStringValue() == "grpc" {
		return ClassMesh, nil
	}
	return ClassSidecar, nil
}
