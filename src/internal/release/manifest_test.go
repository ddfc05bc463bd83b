package release_test

import (
	"fmt"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// combinations are the ways the ops-files are meant to be applied to
// cf-deployment, in order.
var combinations = [][]string{
	{"add-cf-mesh.yml"},
	{"add-cf-mesh.yml", "enable-sidecar-proxying.yml"},
	{"add-cf-mesh.yml", "enable-sidecar-proxying.yml", "enable-app-mtls.yml"},
}

// requiredProperties are what our templates raise without, on a
// deployment whose control-plane ports are off loopback.
var requiredProperties = map[string][]string{
	"copilot": {"cloud_controller.client_secret", "mcp.tls.ca_cert", "mcp.tls.certificate", "mcp.tls.private_key"},
	"pilot":   {"copilot.tls.ca_cert", "copilot.tls.certificate", "copilot.tls.private_key", "xds.tls.ca_cert", "xds.tls.certificate", "xds.tls.private_key"},
	"gateway": {"upstream_tls.certificate", "upstream_tls.private_key", "upstream_tls.ca_cert", "pilot_tls.certificate", "pilot_tls.private_key", "pilot_tls.ca_cert"},
}

var _ = Describe("ops-files applied to cf-deployment", func() {
	for _, combination := range combinations {
		Describe(strings.Join(combination, " + "), func() {
			var m map[string]any
			BeforeEach(func() { m = interpolate(combination...) })

			It("has the cf-mesh instance groups and jobs, from declared releases", func() {
				jobIn(m, "cf-mesh-control", "copilot")
				jobIn(m, "cf-mesh-control", "pilot")
				jobIn(m, "cf-mesh-gateway", "gateway")
				Expect(asMap(named(m["instance_groups"], "cf-mesh-control"))["instances"]).To(BeNumerically(">=", 2), "copilots and pilots are HA")
				Expect(asMap(named(m["instance_groups"], "cf-mesh-gateway"))["instances"]).To(BeNumerically(">=", 2))
				Expect(asMap(named(m["instance_groups"], "cf-mesh-gateway"))["update"]).To(HaveKeyWithValue("max_in_flight", BeEquivalentTo(1)),
					"gateways roll one at a time")
				for _, j := range jobsOf(m) {
					Expect(named(m["releases"], fmt.Sprint(j.job["release"]))).NotTo(BeNil(), "release of %s/%s", j.group, j.name())
				}
				jobIn(m, "diego-cell", "rep")
				jobIn(m, "nats", "nats-tls")
				jobIn(m, "api", "cloud_controller_ng")
			})

			It("defines every variable it uses, in variables: or example-vars.yml", func() {
				defined := map[string]bool{}
				for _, v := range asList(m["variables"]) {
					defined[fmt.Sprint(asMap(v)["name"])] = true
				}
				for name := range asMap(readYAML(inRepo("manifests", "example-vars.yml"))) {
					defined[name] = true
				}
				for _, name := range variableRefs(m) {
					Expect(defined).To(HaveKey(name), "((%s))", name)
				}
			})

			It("signs every certificate variable with a certificate authority it defines", func() {
				certs := certificateVariables(m)
				for name, options := range certs {
					if ca, ok := options["ca"].(string); ok {
						Expect(certs).To(HaveKey(ca), "CA of %s", name)
						Expect(certs[ca]["is_ca"]).To(BeTrue(), "%s, the CA of %s", ca, name)
					}
				}
			})

			It("provides every link our jobs consume", func() {
				links := providedLinks(m)
				for _, j := range jobsOf(m) {
					spec, ok := loadJobSpec(j.name())
					if !ok || j.job["release"] != "cf-mesh" {
						continue
					}
					for _, consumed := range spec.Consumes {
						wiring, wired := asMap(j.job["consumes"])[consumed.Name]
						if wired && wiring == nil {
							Expect(consumed.Optional).To(BeTrue(), "%s/%s blocks required link %s", j.group, j.name(), consumed.Name)
							continue
						}
						var candidates []providedLink
						for _, l := range links {
							from, _ := asMap(wiring)["from"].(string)
							if (from != "" && l.name == from) || (from == "" && l.linkType == consumed.Type) {
								candidates = append(candidates, l)
							}
						}
						Expect(len(candidates)).To(BeNumerically("<=", 1), "%s/%s link %s: ambiguous %v", j.group, j.name(), consumed.Name, candidates)
						if len(candidates) == 0 {
							Expect(consumed.Optional).To(BeTrue(), "%s/%s link %s (%s): nothing provides it", j.group, j.name(), consumed.Name, consumed.Type)
							continue
						}
						Expect(candidates[0].linkType).To(Equal(consumed.Type), "%s/%s link %s", j.group, j.name(), consumed.Name)
					}
				}
				Expect(asMap(asMap(jobIn(m, "cf-mesh-gateway", "gateway")["consumes"])["pilot"])).To(HaveKeyWithValue("ip_addresses", true),
					"the gateway's Envoy takes pilot IPs, not DNS names")
			})

			It("gives our jobs only properties their specs declare, and the ones they require", func() {
				for _, j := range jobsOf(m) {
					spec, ok := loadJobSpec(j.name())
					if !ok || j.job["release"] != "cf-mesh" {
						continue
					}
					Expect(undeclaredProperties(spec, asMap(j.job["properties"]))).To(BeEmpty(), "%s/%s", j.group, j.name())
					for _, p := range requiredProperties[j.name()] {
						if strings.HasPrefix(p, "xds.tls.") && property(j.job, "xds.listen_ip") == "127.0.0.1" {
							continue // a cell's pilot serves gateways nothing: its xDS port is on loopback
						}
						Expect(property(j.job, p)).NotTo(BeNil(), "%s/%s needs %s", j.group, j.name(), p)
					}
				}
			})

			It("pairs every mutual-TLS link's certificates: CAs that sign the peer, names the peer verifies", func() {
				certs := certificateVariables(m)
				copilot, pilot, gateway := jobIn(m, "cf-mesh-control", "copilot"), jobIn(m, "cf-mesh-control", "pilot"), jobIn(m, "cf-mesh-gateway", "gateway")
				for _, pair := range []struct {
					what                 string
					trust, presented     any
					serverName           string
					serverNameIsRequired bool
				}{
					{"copilot verifies pilots", property(copilot, "mcp.tls.ca_cert"), property(pilot, "copilot.tls.certificate"), "", false},
					{"pilots verify copilots", property(pilot, "copilot.tls.ca_cert"), property(copilot, "mcp.tls.certificate"), fmt.Sprint(property(copilot, "mcp.tls.server_name")), true},
					{"pilot verifies gateways", property(pilot, "xds.tls.ca_cert"), property(gateway, "pilot_tls.certificate"), "", false},
					{"gateways verify pilots", property(gateway, "pilot_tls.ca_cert"), property(pilot, "xds.tls.certificate"), fmt.Sprint(property(pilot, "xds.tls.server_name")), true},
				} {
					ca := signedBy(certs, pair.trust)
					Expect(ca).NotTo(BeEmpty(), "%s: %v names no CA", pair.what, pair.trust)
					Expect(signedBy(certs, pair.presented)).To(Equal(ca), "%s: %v is not signed by %s", pair.what, pair.presented, ca)
					if pair.serverNameIsRequired {
						Expect(alternativeNames(certs, pair.presented)).To(ContainElement(pair.serverName), pair.what)
					}
				}
				Expect(signedBy(certs, property(copilot, "mcp.tls.ca_cert"))).NotTo(Equal(signedBy(certs, property(pilot, "xds.tls.ca_cert"))),
					"a gateway's certificate must not open the copilots' MCP port")
			})

			It("has container proxies trust the gateways' client certificate", func() {
				certs := certificateVariables(m)
				rep, gateway := jobIn(m, "diego-cell", "rep"), jobIn(m, "cf-mesh-gateway", "gateway")
				var trusted []string
				for _, ca := range asList(property(rep, "containers.proxy.trusted_ca_certificates")) {
					trusted = append(trusted, signedBy(certs, ca))
				}
				client := property(gateway, "upstream_tls.certificate")
				Expect(trusted).To(ContainElement(signedBy(certs, client)), "the rep's containers.proxy.trusted_ca_certificates")
				var sans []string
				for _, san := range asList(property(rep, "containers.proxy.verify_subject_alt_name")) {
					sans = append(sans, fmt.Sprint(san))
				}
				Expect(slices.ContainsFunc(alternativeNames(certs, client), func(s string) bool { return slices.Contains(sans, s) })).To(BeTrue(),
					"one of %v in the rep's verify_subject_alt_name %v", alternativeNames(certs, client), sans)
				identityCA := signedBy(certs, property(rep, "diego.executor.instance_identity_ca_cert"))
				Expect(identityCA).NotTo(BeEmpty(), "the rep signs instance identities with a CA variable")
				Expect(caChain(certs, identityCA)).To(ContainElement(signedBy(certs, property(gateway, "upstream_tls.ca_cert"))),
					"the gateways verify container proxies against the instance identity CA or its root")
			})

			It("names copilots and pilots in bosh-dns where they run", func() {
				aliases := property(named(asMap(named(m["addons"], "bosh-dns-aliases"))["jobs"], "bosh-dns-aliases"), "aliases")
				for domain, job := range map[string]string{"copilot.service.cf.internal": "copilot", "pilot.service.cf.internal": "pilot"} {
					var alias map[string]any
					for _, a := range asList(aliases) {
						if asMap(a)["domain"] == domain {
							alias = asMap(a)
						}
					}
					Expect(alias).NotTo(BeNil(), domain)
					for _, target := range asList(alias["targets"]) {
						jobIn(m, fmt.Sprint(asMap(target)["instance_group"]), job)
					}
				}
			})

			It("gives the copilot a UAA client that may read all of Cloud Controller, and only that", func() {
				copilot := jobIn(m, "cf-mesh-control", "copilot")
				clients := asMap(property(jobIn(m, "uaa", "uaa"), "uaa.clients"))
				client := asMap(clients[fmt.Sprint(property(copilot, "cloud_controller.client_id"))])
				Expect(client).To(HaveKeyWithValue("authorized-grant-types", "client_credentials"))
				Expect(client).To(HaveKeyWithValue("authorities", "cloud_controller.admin_read_only"))
				Expect(client["secret"]).To(Equal(property(copilot, "cloud_controller.client_secret")))
			})
		})
	}

	Describe("enable-sidecar-proxying.yml", func() {
		It("runs a pilot on every cell, where the containers' proxies reach it, with the outbound redirect only", func() {
			m := interpolate("add-cf-mesh.yml", "enable-sidecar-proxying.yml")
			rep := jobIn(m, "diego-cell", "rep")
			Expect(property(rep, "containers.proxy.enabled")).To(BeTrue())
			ads := asList(property(rep, "containers.proxy.ads_addresses"))
			Expect(ads).NotTo(BeEmpty())
			reachable := asList(property(jobIn(m, "diego-cell", "silk-cni"), "host_tcp_services"))
			pilot := jobIn(m, "diego-cell", "pilot")
			for _, address := range ads {
				Expect(reachable).To(ContainElement(address))
				Expect(property(pilot, "containers.listen_address")).To(Equal(address), "the cell's pilot serves the address the rep names")
			}
			Expect(property(pilot, "xds.listen_ip")).To(Equal("127.0.0.1"))
			Expect(property(pilot, "mesh.mtls")).To(BeNil())
			cni := jobIn(m, "diego-cell", "garden-cni")
			Expect(property(cni, "experimental_enable_proxy_redirect")).To(BeTrue())
			Expect(property(cni, "experimental_proxy_redirect_cidr")).To(Equal("10.255.0.0/16"), "silk's container network, where internal routes resolve")
			Expect(property(cni, "experimental_enable_ingress_proxy_redirect")).To(BeNil())
		})
	})

	Describe("enable-app-mtls.yml", func() {
		It("turns on the cells' mesh mutual TLS, trusting the instance identity CA, with the ingress redirect", func() {
			m := interpolate("add-cf-mesh.yml", "enable-sidecar-proxying.yml", "enable-app-mtls.yml")
			certs := certificateVariables(m)
			pilot, rep := jobIn(m, "diego-cell", "pilot"), jobIn(m, "diego-cell", "rep")
			Expect(property(pilot, "mesh.mtls")).To(BeTrue())
			identityCA := signedBy(certs, property(rep, "diego.executor.instance_identity_ca_cert"))
			Expect(caChain(certs, identityCA)).To(ContainElement(signedBy(certs, property(pilot, "mesh.instance_identity_ca"))))
			Expect(property(jobIn(m, "diego-cell", "garden-cni"), "experimental_enable_ingress_proxy_redirect")).To(BeTrue())
		})
	})

	It("keeps example-vars.yml to variables something uses", func() {
		used := map[string]bool{}
		for _, c := range combinations {
			for _, name := range variableRefs(interpolate(c...)) {
				used[name] = true
			}
		}
		for name := range asMap(readYAML(inRepo("manifests", "example-vars.yml"))) {
			Expect(used).To(HaveKey(name), "example-vars.yml: %s", name)
		}
	})
})
