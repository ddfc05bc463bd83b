package routeregistry_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
)

// FuzzDecodeRegistration checks that no payload panics the decoder, and
// that whatever it accepts is a registration the table can hold and that
// survives an encode/decode round trip: the same JSON and the same
// endpoints.
func FuzzDecodeRegistration(f *testing.F) {
	for _, seed := range []string{
		routeEmitterMessage,
		routeRegistrarMessage,
		routeRegistrarTLSMessage,
		gorouterTestMessage,
		`{"host":"10.0.0.1","port":8080,"uris":["*.apps.example.com/a/?q"],"options":null,"tags":null}`,
		`{"host":"10.0.0.1","port":70000,"uris":["a.com"]}`,
		`{"host":"","port":8080,"uris":["a.com"]}`,
		`{"host":"10.0.0.1","port":8080,"uris":[]}`,
		`{"host":"10.0.0.1","port":8080,"uris":["a.com"],"route_service_url":"http://x"}`,
		`{"host":"10.0.0.1","port":"8080","uris":["a.com"]}`,
		`{"host":"10.0.0.1","port":8080,"uris":["a.com"],"options":{"loadbalancing":["x"]}}`,
		`{"uris":["a.com"],"host":"h","port":1e3}`,
		``,
		`null`,
		`{`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		reg, err := routeregistry.DecodeRegistration(data)
		if err != nil {
			return
		}
		if reg.Host == "" || len(reg.URIs) == 0 || (reg.Port == 0 && reg.TLSPort == 0) {
			t.Fatalf("accepted an incomplete registration: %+v", reg)
		}
		var table routeregistry.Table
		if !table.Register(reg, time.Unix(0, 0)) || table.Len() == 0 {
			t.Fatalf("table did not take an accepted registration: %+v", reg)
		}
		encoded, err := json.Marshal(reg)
		if err != nil {
			t.Fatalf("cannot encode an accepted registration: %v", err)
		}
		again, err := routeregistry.DecodeRegistration(encoded)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", encoded, err)
		}
		reencoded, err := json.Marshal(again)
		if err != nil || !bytes.Equal(reencoded, encoded) {
			t.Fatalf("round trip changed the registration:\n%s\n%s", encoded, reencoded)
		}
		var other routeregistry.Table
		other.Register(again, time.Unix(0, 0))
		if !reflect.DeepEqual(other.Endpoints(), table.Endpoints()) {
			t.Fatalf("round trip changed the endpoints:\n%+v\n%+v", table.Endpoints(), other.Endpoints())
		}
		if !table.Unregister(reg) || table.Len() != 0 {
			t.Fatalf("unregister did not remove an accepted registration: %+v", reg)
		}
	})
}
