package gatewaybootstrap

import (
	"path/filepath"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// FileSecretConfig refers to a secret Envoy reads from its SDS file,
// `<dir>/<name>.yaml`, re-read when the directory changes: certificates
// rotate without a restart and keys never leave the gateway (ADR 10).
func FileSecretConfig(dir, name string) *tlsv3.SdsSecretConfig {
	return &tlsv3.SdsSecretConfig{
		Name: name,
		SdsConfig: &corev3.ConfigSource{
			ResourceApiVersion: corev3.ApiVersion_V3,
			ConfigSourceSpecifier: &corev3.ConfigSource_PathConfigSource{PathConfigSource: &corev3.PathConfigSource{
				Path:             filepath.Join(dir, name+".yaml"),
				WatchedDirectory: &corev3.WatchedDirectory{Path: dir},
			}},
		},
	}
}

// CertificateSecretFile is the content of the SDS file for a key pair: a
// DiscoveryResponse holding one TLS certificate secret, in JSON (which is
// YAML), as the gateway job renders it.
func CertificateSecretFile(name string, certPEM, keyPEM []byte) ([]byte, error) {
	return secretFile(&tlsv3.Secret{Name: name, Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
		CertificateChain: &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: certPEM}},
		PrivateKey:       &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: keyPEM}},
	}}})
}

// ValidationSecretFile is the content of the SDS file for trusted CAs.
func ValidationSecretFile(name string, caPEM []byte) ([]byte, error) {
	return secretFile(&tlsv3.Secret{Name: name, Type: &tlsv3.Secret_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
		TrustedCa: &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: caPEM}},
	}}})
}

func secretFile(secret *tlsv3.Secret) ([]byte, error) {
	if err := secret.ValidateAll(); err != nil {
		return nil, err
	}
	body, err := anypb.New(secret)
	if err != nil {
		return nil, err
	}
	resp := &discoveryv3.DiscoveryResponse{VersionInfo: "0", TypeUrl: resourcev3.SecretType, Resources: []*anypb.Any{body}}
	return marshalStable(resp)
}
