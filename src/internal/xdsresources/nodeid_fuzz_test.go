package xdsresources_test

import (
	"strings"
	"testing"

	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// FuzzParseNodeID: node IDs come from any proxy that connects.
func FuzzParseNodeID(f *testing.F) {
	for _, seed := range []string{"router~10.0.0.5~gw-0~cf.internal", "sidecar~10.255.1.2~inst~x",
		"sidecar~::1~a~b", "", "~~~", "router~1.2.3.4~x~y~z"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		node, err := xdsresources.ParseNodeID(id)
		if err != nil {
			return
		}
		if node.ID == "" || !node.IP.IsValid() || strings.Count(id, "~") != 3 {
			t.Fatalf("accepted a malformed node id %q: %+v", id, node)
		}
	})
}
