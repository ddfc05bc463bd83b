package routeregistry_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
)

// FuzzDecodeRegistration checks that no payload panics the decoder, that it
// accepts exactly what encoding/json (gorouter's decoder) accepts and
// decodes the same values, and that whatever it accepts is a registration
// the table can hold and that survives an encode/decode round trip: the
// same JSON and the same endpoints. Seeds: the messages below and
// testdata/fuzz/FuzzDecodeRegistration.
func FuzzDecodeRegistration(f *testing.F) {
	for _, seed := range registrationSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = fuzzDecoder.DecodeRegistration(data) // leaves its map and list to the next payload
		reg, err := routeregistry.DecodeRegistration(data)
		want, ok := oracleDecodeRegistration(data)
		if (err == nil) != ok {
			t.Fatalf("decoder and encoding/json disagree on %q: decoder error %v, encoding/json accepts: %v", data, err, ok)
		}
		if err != nil {
			return
		}
		if !reflect.DeepEqual(reg, want) {
			t.Fatalf("decoder and encoding/json decode %q differently:\n%#v\n%#v", data, reg, want)
		}
		if reused, err := fuzzDecoder.DecodeRegistration(data); err != nil || !reflect.DeepEqual(reused, reg) {
			t.Fatalf("a Decoder that decoded other payloads before decodes %q differently: %v\n%#v", data, err, reused)
		}
		checkAcceptedRegistration(t, reg)
	})
}

func checkAcceptedRegistration(t *testing.T, reg routeregistry.Registration) {
	if reg.Host == "" || len(reg.URIs) == 0 || (reg.Port == 0 && reg.TLSPort == 0) {
		t.Fatalf("accepted an incomplete registration: %+v", reg)
	}
	var table routeregistry.Table
	if !table.Register(reg, time.Unix(0, 0)) || table.Len() == 0 {
		t.Fatalf("table did not take an accepted registration: %+v", reg)
	}
	if table.Register(reg, time.Unix(1, 0)) {
		t.Fatalf("repeating a registration changed the table: %+v", reg)
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
}

// FuzzDecodeInternalRegistration holds the service-discovery decoder to
// encoding/json (the service-discovery-controller's decoder) in the same
// way, and checks that accepted registrations register, repeat without a
// change and unregister. Seeds: the messages below and
// testdata/fuzz/FuzzDecodeInternalRegistration.
func FuzzDecodeInternalRegistration(f *testing.F) {
	for _, seed := range internalRegistrationSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		reg, err := routeregistry.DecodeInternalRegistration(data)
		want, ok := oracleDecodeInternalRegistration(data)
		if (err == nil) != ok {
			t.Fatalf("decoder and encoding/json disagree on %q: decoder error %v, encoding/json accepts: %v", data, err, ok)
		}
		if err != nil {
			return
		}
		if !reflect.DeepEqual(reg, want) {
			t.Fatalf("decoder and encoding/json decode %q differently:\n%#v\n%#v", data, reg, want)
		}
		if reused, err := fuzzDecoder.DecodeInternalRegistration(data); err != nil || !reflect.DeepEqual(reused, reg) {
			t.Fatalf("a Decoder that decoded other payloads before decodes %q differently: %v\n%#v", data, err, reused)
		}
		var table routeregistry.Table
		if !table.RegisterInternal(reg, time.Unix(0, 0)) || table.RegisterInternal(reg, time.Unix(1, 0)) {
			t.Fatalf("register, then repeat, did not change and then keep the table: %+v", reg)
		}
		for _, e := range table.Endpoints() {
			if !e.Internal || e.Port != 0 || e.Address != reg.Host || strings.ToLower(e.URI) != e.URI {
				t.Fatalf("unexpected internal endpoint %+v for %+v", e, reg)
			}
		}
		if !table.UnregisterInternal(reg) || table.Len() != 0 {
			t.Fatalf("unregister did not remove an accepted registration: %+v", reg)
		}
	})
}

// fuzzDecoder decodes every fuzz input twice, so each decode reuses what
// the previous input left.
var fuzzDecoder routeregistry.Decoder

var registrationSeeds = []string{
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
	// encoding/json's rules: case-insensitive keys, last key wins, null
	// leaves strings alone, repeated maps merge, escapes and bad UTF-8.
	`{"HOST":"10.0.0.1","Port":8080,"uRIs":["a.com"],"host":null,"Tags":{"a":"1"},"tags":{"b":null}}`,
	`{"host":"10.0.0.1","port":"x","port":8080,"tls_port":-0,"uris":["a.com"]}`,
	`{"ho\u0073t":"10.0.0.1","port":8080,"uris":["\u0041.com","b\ud83d\ude00.com","c\udc00.com","\xff.com"]}`,
	`{"host":"10.0.0.1","port":8080,"uris":["a.com"],"options":{"loadbalancing":1,"loadbalancing":"hash", "x" : [ {"<&>":"\u2028"} ]}}`,
	`{"host":"10.0.0.1","port":8080,"uris":["a.com"],"allowed_sources":{"Apps":["a"],"any":true},"allowed_sources":{"orgs":null}}`,
	`{"host":"10.0.0.1","port":8080 ,"uris":["a.com"],"stale_threshold_in_seconds":9223372036854775807,"endpoint_updated_at_ns":-9223372036854775808}`,
	`{"host":"10.0.0.1","port":8080,"uris":["a.com"],"stale_threshold_in_seconds":1.5}`,
	`{"host":"10.0.0.1","port":8080,"uris":["a.com"],"unknown":{"deep":[1,-2.5e+3,true,false,null,"s"]}} `,
	`[1,2]`,
	`"a string"`,
	`{"host":"10.0.0.1","port":8080,"uris":["a.com"]}x`,
	`{"host":"10.0.0.1","port":08080,"uris":["a.com"]}`,
	`{"host":"10.0.0.1\u0000","port":8080,"uris":["a.com"]}`,
	"{\"host\":\"10.0.0.1\t\",\"port\":8080,\"uris\":[\"a.com\"]}",
	"{\"host\":\"10.0.0.1\",\"port\":8080,\"uris\":[\"a\xff.com\"],\"tags\":{\"\xfe\":\"\xc3\",\"k\":\"\xe2\x80\xa8\"}}",
	``,
	`null`,
	`{`,
}

var internalRegistrationSeeds = []string{
	routeEmitterInternalMessage,
	serviceDiscoveryControllerTestMessage,
	`{"host":"10.255.3.4","uris":["Backend.APPS.internal.","0.backend.apps.internal"],"port":12,"tags":null}`,
	`{"host":"10.255.3.4","uris":["backend.apps.internal/path"]}`,
	`{"host":"10.255.3.4","uris":["*.apps.internal"]}`,
	`{"host":"10.255.3.4","uris":["backend.apps.internal:8080"]}`,
	`{"host":"","uris":["backend.apps.internal"]}`,
	`{"host":"10.255.3.4","uris":[]}`,
	`{"host":"10.255.3.4","uris":["a.apps.internal"],"private_instance_index":0}`,
	`{"HOST":"10.255.3.4","Uris":["a.apps.internal"],"uris":null,"uris":["b.apps.internal"],"App":"x"}`,
	`garbage "0.foo.com"] }`,
	``,
	`null`,
}
