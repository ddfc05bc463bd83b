package release_test

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"code.cloudfoundry.org/cf-mesh/internal/copilot"
	"code.cloudfoundry.org/cf-mesh/internal/gatewaybootstrap"
	"code.cloudfoundry.org/cf-mesh/internal/pilot"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// The rendered examples are written by the rspec template specs
// (spec/*_spec.rb, UPDATE_RENDERED=1 rspec) from one example deployment
// (spec/example_deployment.rb): what BOSH would render for the three jobs
// linked together. Here the Go side reads them.
func rendered(parts ...string) string {
	return inRepo(append([]string{"spec", "fixtures", "rendered"}, parts...)...)
}

func parseCopilot() copilot.Config {
	GinkgoHelper()
	f, err := os.Open(rendered("copilot", "copilot.json"))
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	cfg, err := copilot.Parse(f)
	Expect(err).NotTo(HaveOccurred())
	return cfg
}

func parsePilot() pilot.Config {
	GinkgoHelper()
	f, err := os.Open(rendered("pilot", "pilot.json"))
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	cfg, err := pilot.Parse(f)
	Expect(err).NotTo(HaveOccurred())
	return cfg
}

func parseBootstrap() *bootstrapv3.Bootstrap {
	GinkgoHelper()
	data, err := os.ReadFile(rendered("gateway", "envoy.json"))
	Expect(err).NotTo(HaveOccurred())
	b := &bootstrapv3.Bootstrap{}
	Expect(protojson.Unmarshal(data, b)).To(Succeed())
	return b
}

// readSecretFile parses an SDS file the way Envoy's path config source does.
func readSecretFile(data []byte) *tlsv3.Secret {
	GinkgoHelper()
	resp := &discoveryv3.DiscoveryResponse{}
	Expect(protojson.Unmarshal(data, resp)).To(Succeed())
	Expect(resp.GetResources()).To(HaveLen(1))
	secret := &tlsv3.Secret{}
	Expect(resp.GetResources()[0].UnmarshalTo(secret)).To(Succeed())
	Expect(secret.ValidateAll()).To(Succeed())
	return secret
}

// gatewaySecrets are the SDS files the gateway example renders, by name.
func gatewaySecrets() map[string][]byte {
	GinkgoHelper()
	files, err := filepath.Glob(rendered("gateway", "sds", "*.yaml"))
	Expect(err).NotTo(HaveOccurred())
	secrets := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		Expect(err).NotTo(HaveOccurred())
		secrets[strings.TrimSuffix(filepath.Base(f), ".yaml")] = data
	}
	return secrets
}

var _ = Describe("rendered job templates", func() {
	It("the copilot's configuration is a copilot.Config", func() {
		cfg := parseCopilot()
		Expect(cfg.CloudController.APIURL).To(Equal("https://api.sys.example.com"))
		Expect(cfg.CloudController.CACertFile).To(Equal("/var/vcap/jobs/copilot/config/certs/cloud_controller_ca.crt"))
		Expect(cfg.NATS.Servers).To(Equal([]string{"tls://nats.service.cf.internal:4224"}))
		Expect(cfg.NATS.CertFile).NotTo(BeEmpty())
		Expect(cfg.MCP.ListenAddress).To(Equal("0.0.0.0:9009"))
		Expect(cfg.MCP.TLS.Enabled()).To(BeTrue())
	})

	It("the pilot's configuration is a pilot.Config whose gateway secrets are the gateway's files", func() {
		cfg := parsePilot()
		Expect(cfg.Copilot.Addresses).To(Equal([]string{"10.0.1.10:9009", "10.0.1.11:9009"}))
		Expect(cfg.CopilotTLS.ServerName).To(Equal("copilot.service.cf.internal"))
		Expect(cfg.XDS.TLS.Enabled()).To(BeTrue())
		Expect(cfg.Gateway.SecretsDirectory).To(Equal(xdsresources.DefaultSecretsDirectory))
		secrets := gatewaySecrets()
		Expect(secrets).To(HaveKey(cfg.Gateway.UpstreamClientSecret))
		Expect(secrets).To(HaveKey(cfg.Gateway.UpstreamCASecret))
		Expect(readSecretFile(secrets[cfg.Gateway.UpstreamClientSecret]).GetTlsCertificate()).NotTo(BeNil())
		Expect(readSecretFile(secrets[cfg.Gateway.UpstreamCASecret]).GetValidationContext()).NotTo(BeNil())
	})

	It("the gateway's bootstrap is valid and is what gatewaybootstrap.Build writes for the same gateway", func() {
		got := parseBootstrap()
		Expect(got.ValidateAll()).To(Succeed())
		tracing := parsePilot().Gateway.Tracing
		Expect(tracing.CollectorCluster).NotTo(BeEmpty(), "the example traces")
		want, err := gatewaybootstrap.Build(gatewaybootstrap.Options{
			NodeIP: "10.0.4.1", NodeID: "cf-mesh-gateway-id-0",
			Pilots: []string{"10.0.1.10:15010", "10.0.1.11:15010"},
			PilotTLS: &gatewaybootstrap.PilotTLS{
				SecretsDirectory: xdsresources.DefaultSecretsDirectory, ClientSecret: "pilot-client", CASecret: "pilot-ca",
				ServerName: "pilot.service.cf.internal",
			},
			AdminAddress:       "127.0.0.1:15000",
			HealthCheckAddress: "0.0.0.0:8002",
			Tracing:            &gatewaybootstrap.TracingCollector{Cluster: tracing.CollectorCluster, Address: "10.0.8.1:9411"},
		})
		Expect(err).NotTo(HaveOccurred())
		if !proto.Equal(got, want) {
			wantJSON, _ := gatewaybootstrap.JSON(want)
			gotJSON, _ := gatewaybootstrap.JSON(got)
			Fail("the rendered bootstrap differs from gatewaybootstrap.Build's:\nrendered:\n" + string(gotJSON) + "\nBuild:\n" + string(wantJSON))
		}
	})

	It("every secret the bootstrap refers to is a file the gateway renders", func() {
		b := parseBootstrap()
		secrets := gatewaySecrets()
		tls := &tlsv3.UpstreamTlsContext{}
		xds := b.GetStaticResources().GetClusters()[0]
		Expect(xds.GetTransportSocket().GetTypedConfig().UnmarshalTo(tls)).To(Succeed())
		refs := append(tls.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs(),
			tls.GetCommonTlsContext().GetCombinedValidationContext().GetValidationContextSdsSecretConfig())
		for _, ref := range refs {
			path := ref.GetSdsConfig().GetPathConfigSource().GetPath()
			Expect(filepath.Dir(path)).To(Equal(xdsresources.DefaultSecretsDirectory))
			Expect(secrets).To(HaveKey(strings.TrimSuffix(filepath.Base(path), ".yaml")))
			Expect(readSecretFile(secrets[ref.GetName()]).GetName()).To(Equal(ref.GetName()))
		}
	})

	It("every SDS file holds the secret gatewaybootstrap writes for the same PEM", func() {
		for name, data := range gatewaySecrets() {
			secret := readSecretFile(data)
			Expect(secret.GetName()).To(Equal(name))
			var want []byte
			var err error
			if cert := secret.GetTlsCertificate(); cert != nil {
				want, err = gatewaybootstrap.CertificateSecretFile(name, cert.GetCertificateChain().GetInlineBytes(), cert.GetPrivateKey().GetInlineBytes())
			} else {
				want, err = gatewaybootstrap.ValidationSecretFile(name, secret.GetValidationContext().GetTrustedCa().GetInlineBytes())
			}
			Expect(err).NotTo(HaveOccurred())
			Expect(proto.Equal(secret, readSecretFile(want))).To(BeTrue(), name)
			Expect(bytes.Contains(data, []byte("PRIVATE KEY"))).To(BeFalse(), "%s: PEM travels base64-encoded (inline_bytes)", name)
		}
	})

	It("the copilot serves HTTPS for exactly the frontend certificates the gateway has keys for", func() {
		var names []string
		for _, f := range parseCopilot().Mesh.FrontendCertificates {
			names = append(names, f.Name)
		}
		var frontends []string
		for name := range gatewaySecrets() {
			switch name {
			case "upstream-client", "instance-identity-ca", "pilot-client", "pilot-ca":
			default:
				frontends = append(frontends, name)
			}
		}
		sort.Strings(names)
		sort.Strings(frontends)
		Expect(names).NotTo(BeEmpty())
		Expect(names).To(Equal(frontends))
	})
})
