package mesh_test

import (
	"testing"

	"code.cloudfoundry.org/cf-mesh/internal/mesh"
)

// FuzzParseYAML checks that no input crashes the parser and that whatever it
// accepts renders and parses back to the same objects.
func FuzzParseYAML(f *testing.F) {
	f.Add([]byte("kind: Gateway\nmetadata: {namespace: cloudfoundry, name: gw}\nspec: {servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]}\n"))
	f.Add([]byte("---\nkind: VirtualService\nmetadata: {namespace: a, name: b}\nspec: {hosts: [x], http: [{route: [{destination: {host: x, subset: s}, weight: 100}]}]}\n---\n# comment\n"))
	f.Add([]byte("kind: ServiceEntry\nmetadata: {namespace: a, name: b, labels: {k: v}}\nspec: {endpoints: [{address: 10.0.0.1, ports: {http: 8080}}]}\n"))
	f.Add([]byte("{{{"))
	f.Add([]byte("kind: DestinationRule\nmetadata: {namespace: a, name: b}\nspec: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := mesh.ParseYAML(data)
		if err != nil {
			return
		}
		out, err := mesh.MarshalYAML(cfg)
		if err != nil {
			t.Fatalf("accepted config does not render: %v", err)
		}
		back, err := mesh.ParseYAML(out)
		if err != nil {
			t.Fatalf("rendered config does not parse: %v\n%s", err, out)
		}
		if back.Len() != cfg.Len() {
			t.Fatalf("round trip changed the object count: %d != %d", back.Len(), cfg.Len())
		}
	})
}

// FuzzParsePrincipal: whatever principal an MCP peer sends, parsing never
// panics, and an accepted one is a kind and a GUID and nothing else.
func FuzzParsePrincipal(f *testing.F) {
	for _, seed := range []string{"*", "app:5e3b1c2a-0f4d-4c8e-9a7b-1d2e3f4a5b6c", "space:x", "organization:", "app:.*", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := mesh.ParsePrincipal(in)
		if err != nil {
			return
		}
		if p.String() != in {
			t.Fatalf("%q parsed as %+v, which prints as %q", in, p, p.String())
		}
	})
}
