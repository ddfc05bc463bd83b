package routeregistry_test

import (
	"encoding/json"
	"errors"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source/routeregistry"
)

var _ = Describe("decoding JSON as gorouter's encoding/json does", func() {
	decode := func(payload string) routeregistry.Registration {
		reg, err := routeregistry.DecodeRegistration([]byte(payload))
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
		want, ok := oracleDecodeRegistration([]byte(payload))
		ExpectWithOffset(1, ok).To(BeTrue(), "encoding/json rejects it")
		ExpectWithOffset(1, reg).To(Equal(want))
		return reg
	}

	It("matches keys exactly, else under Unicode case folding, and unescapes them first", func() {
		reg := decode(`{"HOST":"10.0.0.1","Port":8080,"\u0075ris":["a.com"],"tls_p\u006Frt":61001,"hoſt":"10.0.0.2"}`)
		Expect(reg.Host).To(Equal("10.0.0.2"), "ſ folds to s")
		Expect(reg.URIs).To(Equal([]string{"a.com"}))
		Expect(reg.TLSPort).To(BeEquivalentTo(61001))
	})

	It("lets the last occurrence of a key win, null leaving strings alone and clearing lists", func() {
		reg := decode(`{"host":"10.0.0.1","host":null,"port":"x","port":8080,"uris":["a.com"],` +
			`"tags":{"a":"1"},"tags":{"b":null},"allowed_sources":{"apps":["x"]},"allowed_sources":{"apps":null,"any":true}}`)
		Expect(reg.Host).To(Equal("10.0.0.1"))
		Expect(reg.Port).To(BeEquivalentTo(8080), "only the last port has to be one")
		Expect(reg.Tags).To(Equal(map[string]string{"a": "1", "b": ""}), "a repeated object merges into the map")
		Expect(reg.AllowedSources).To(Equal(&routeregistry.AllowedSources{Any: true}))
	})

	It("unescapes strings, replacing invalid UTF-8 and lone surrogates", func() {
		reg := decode("{\"host\":\"10.0.0.1\",\"port\":8080,\"uris\":[\"a.com\"],\"app\":\"\\u00e9\\ud83d\\ude00 \\ud800 \xff \\/\\t\"}")
		Expect(reg.App).To(Equal("é😀 \uFFFD \uFFFD /\t"))
	})

	It("keeps options as compact, HTML-escaped JSON", func() {
		reg := decode(`{"host":"10.0.0.1","port":8080,"uris":["a.com"],"options": { "loadbalancing" : "hash", "x": ["<&>", "\u2028"] } }`)
		Expect(string(reg.Options.Raw)).To(Equal(`{"loadbalancing":"hash","x":["\u003c\u0026\u003e","\u2028"]}`))
	})

	It("nests as deep as encoding/json allows, and no deeper", func() {
		nested := func(depth int) []byte {
			return []byte(`{"host":"10.0.0.1","port":8080,"uris":["a.com"],"x":` +
				strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`)
		}
		Expect(json.Valid(nested(10000))).To(BeTrue())
		_, err := routeregistry.DecodeRegistration(nested(10000))
		Expect(err).NotTo(HaveOccurred())

		Expect(json.Valid(nested(10001))).To(BeFalse())
		_, err = routeregistry.DecodeRegistration(nested(10001))
		var syntax *routeregistry.SyntaxError
		Expect(errors.As(err, &syntax)).To(BeTrue())
		Expect(err).To(MatchError(ContainSubstring("nested deeper than 10000 levels")))
	})

	It("checks the size before parsing", func() {
		payload := []byte(`{"host":"10.0.0.1","port":8080,"uris":["a.com"],"x":"` + strings.Repeat("x", routeregistry.MaxPayloadBytes) + `"}`)
		_, err := routeregistry.DecodeRegistration(payload)
		var tooLarge *routeregistry.PayloadTooLargeError
		Expect(errors.As(err, &tooLarge)).To(BeTrue())
		Expect(tooLarge.Size).To(Equal(len(payload)))

		_, err = routeregistry.DecodeRegistration(payload[:routeregistry.MaxPayloadBytes-2])
		Expect(errors.As(err, &tooLarge)).To(BeFalse(), "a payload at the limit is parsed")
	})
})

var _ = Describe("RejectReason", func() {
	DescribeTable("names a small, fixed set of reasons",
		func(payload, reason string) {
			_, err := routeregistry.DecodeRegistration([]byte(payload))
			Expect(err).To(HaveOccurred())
			Expect(routeregistry.RejectReason(err)).To(Equal(reason))
		},
		Entry("not JSON", `router.register`, "malformed_json"),
		Entry("empty", ``, "malformed_json"),
		Entry("not an object", `["a"]`, "invalid_payload"),
		Entry("missing host", `{"port":8080,"uris":["a.com"]}`, "invalid_host"),
		Entry("port 0 and no tls_port", `{"host":"10.0.0.1","port":0,"uris":["a.com"]}`, "invalid_port"),
		Entry("invalid URI", `{"host":"10.0.0.1","port":8080,"uris":["a.com","b.com:80"]}`, "invalid_uris"),
		Entry("plain-http route service", `{"host":"10.0.0.1","port":8080,"uris":["a.com"],"route_service_url":"http://rs"}`, "invalid_route_service_url"),
		Entry("a tag that is no string", `{"host":"10.0.0.1","port":8080,"uris":["a.com"],"tags":{"n":1}}`, "invalid_tags"),
		Entry("loadbalancing not a string", `{"host":"10.0.0.1","port":8080,"uris":["a.com"],"options":{"loadbalancing":1}}`, "invalid_options"),
		Entry("too large", `{"x":"`+strings.Repeat("x", routeregistry.MaxPayloadBytes)+`"}`, "payload_too_large"),
	)

	It("has a fallback for errors from elsewhere", func() {
		Expect(routeregistry.RejectReason(errors.New("other"))).To(Equal("invalid"))
	})
})
