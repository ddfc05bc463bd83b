package routefile_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/routefile"
)

func ptr[T any](v T) *T { return &v }

const fullFile = `
routes:
- host: Store.Apps.Example.com
  path: /checkout
  internal: false
  loadbalancing: least-connection
  annotations:
    owner: payments
  destinations:
  - app_guid: app-b
    process_guid: proc-b
    process_type: web
    port: 9000
    protocol: http2
    weight: 80
  - app_guid: app-c
    weight: 20
- host: backend.apps.internal
  internal: true
  destinations:
  - app_guid: app-d
    process_type: api
- host: "*.apps.example.com"
  destinations: []
- host: store.apps.example.com
`

var _ = Describe("Parse", func() {
	It("reads every field, fills defaults and sorts by host, then path", func() {
		routes, err := routefile.Parse([]byte(fullFile))
		Expect(err).NotTo(HaveOccurred())

		Expect(routes).To(Equal(source.DesiredRoutes{Routes: []source.DesiredRoute{
			{Host: "*.apps.example.com"},
			{
				Host:     "backend.apps.internal",
				Internal: true,
				Destinations: []source.DesiredDestination{
					{AppGUID: "app-d", ProcessType: "api", Port: 8080, Protocol: "http1"},
				},
			},
			{Host: "store.apps.example.com"},
			{
				Host:          "store.apps.example.com",
				Path:          "/checkout",
				LoadBalancing: "least-connection",
				Annotations:   map[string]string{"owner": "payments"},
				Destinations: []source.DesiredDestination{
					{AppGUID: "app-b", ProcessGUID: "proc-b", ProcessType: "web", Port: 9000, Protocol: "http2", Weight: ptr(int32(80))},
					{AppGUID: "app-c", ProcessType: "web", Port: 8080, Protocol: "http1", Weight: ptr(int32(20))},
				},
			},
		}}))
	})

	DescribeTable("accepts files with no routes",
		func(content string) {
			routes, err := routefile.Parse([]byte(content))
			Expect(err).NotTo(HaveOccurred())
			Expect(routes.Routes).To(BeEmpty())
		},
		Entry("an empty file", ""),
		Entry("only a comment", "# nothing routed yet\n"),
		Entry("an empty list", "routes: []\n"),
		Entry("a null list", "routes:\n"),
	)

	DescribeTable("rejects the whole file, naming the route by index and host",
		func(content string, message string) {
			routes, err := routefile.Parse([]byte(content))
			Expect(err).To(MatchError(message))
			Expect(routes.Routes).To(BeEmpty())
		},
		Entry("weights not summing to 100", `
routes:
- host: ok.example.com
- host: App.Example.com
  destinations:
  - {app_guid: a, weight: 60}
  - {app_guid: b, weight: 30}
`, "routes[1] (app.example.com): weights sum to 90, must sum to 100"),
		Entry("weighted and unweighted destinations", `
routes:
- host: app.example.com
  destinations:
  - {app_guid: a}
  - {app_guid: b, weight: 100}
`, "routes[0] (app.example.com): destinations[1] has a weight but destinations[0] has none: weights are all-or-none"),
		Entry("a weight out of range", `
routes:
- host: app.example.com
  destinations:
  - {app_guid: a, weight: 0}
  - {app_guid: b, weight: 100}
`, "routes[0] (app.example.com): destinations[0] has weight 0, must be between 1 and 100"),
		Entry("a missing host", `
routes:
- path: /x
`, "routes[0]: host is required"),
		Entry("a host with a bad character", `
routes:
- host: "app example.com"
`, `routes[0] (app example.com): host "app example.com" may contain only letters, digits, '-', '_' and a leading '*.'`),
		Entry("a host with an empty label", `
routes:
- host: app..example.com
`, `routes[0] (app..example.com): host "app..example.com" has an empty label`),
		Entry("a wildcard that is not the first label", `
routes:
- host: app.*.example.com
`, `routes[0] (app.*.example.com): host "app.*.example.com" may contain only letters, digits, '-', '_' and a leading '*.'`),
		Entry("a path without a leading slash", `
routes:
- host: app.example.com
  path: v1
`, `routes[0] (app.example.com): path "v1" must start with '/'`),
		Entry("a path with a trailing slash", `
routes:
- host: app.example.com
  path: /v1/
`, `routes[0] (app.example.com): path "/v1/" must not end with '/'`),
		Entry("a path that is only a slash", `
routes:
- host: app.example.com
  path: /
`, `routes[0] (app.example.com): path "/" must not end with '/'`),
		Entry("a path with a query", `
routes:
- host: app.example.com
  path: /v1?x=1
`, `routes[0] (app.example.com): path "/v1?x=1" must not contain '?', '#' or white space`),
		Entry("an unknown load-balancing algorithm", `
routes:
- host: app.example.com
  loadbalancing: random
`, `routes[0] (app.example.com): loadbalancing "random" must be one of round-robin, least-connection, hash`),
		Entry("a destination without an app guid", `
routes:
- host: app.example.com
  destinations:
  - {process_type: web}
`, "routes[0] (app.example.com): destinations[0]: app_guid is required"),
		Entry("a destination port out of range", `
routes:
- host: app.example.com
  destinations:
  - {app_guid: a, port: 70000}
`, "routes[0] (app.example.com): destinations[0]: port 70000 must be between 1 and 65535"),
		Entry("an unknown destination protocol", `
routes:
- host: app.example.com
  destinations:
  - {app_guid: a, protocol: tcp}
`, `routes[0] (app.example.com): destinations[0]: protocol "tcp" must be one of http1, http2`),
		Entry("a duplicate host and path (hosts compare case-insensitively)", `
routes:
- host: app.example.com
  path: /v1
- host: APP.example.com
  path: /v1
`, "routes[1] (app.example.com): duplicate of routes[0] (same host and path)"),
		Entry("an unknown route field", `
routes:
- host: app.example.com
  hots: typo
`, `routes[0] (app.example.com): json: unknown field "hots"`),
		Entry("an unknown destination field", `
routes:
- host: app.example.com
  destinations:
  - {app_guid: a, wieght: 10}
`, `routes[0] (app.example.com): json: unknown field "wieght"`),
		Entry("a wrongly typed field", `
routes:
- host: app.example.com
  destinations:
  - {app_guid: a, port: "8080"}
`, "routes[0] (app.example.com): json: cannot unmarshal string into Go struct field fileDestination.destinations.port of type int"),
		Entry("an empty route entry", `
routes:
-
`, "routes[0]: entry is empty"),
		Entry("an unknown top-level field", `
route: []
`, "route file must be a mapping with a `routes` list: json: unknown field \"route\""),
		Entry("a top level that is a list", `
- host: app.example.com
`, "route file must be a mapping with a `routes` list: json: cannot unmarshal array into Go value of type routefile.file"),
		Entry("invalid YAML", "routes: [\n", "route file is not valid YAML: yaml: line 1: did not find expected node content"),
	)

	It("reports every problem of the file at once", func() {
		_, err := routefile.Parse([]byte(`
routes:
- host: a.example.com
  path: x
  destinations:
  - {weight: 50}
- host: b.example.com
  loadbalancing: random
`))
		Expect(err).To(MatchError(
			"routes[0] (a.example.com): path \"x\" must start with '/'\n" +
				"routes[0] (a.example.com): destinations[0]: app_guid is required\n" +
				"routes[0] (a.example.com): weights sum to 50, must sum to 100\n" +
				"routes[1] (b.example.com): loadbalancing \"random\" must be one of round-robin, least-connection, hash"))
	})
})
