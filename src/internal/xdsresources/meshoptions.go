package xdsresources

import (
	"path/filepath"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// MeshOptions tune what container sidecars and proxyless gRPC clients and
// servers get.
type MeshOptions struct {
	// MTLS makes mesh traffic to internal routes mutual TLS: callers
	// originate it with their instance identity, callees require it and
	// enforce their authorization (the enable-app-mtls ops-file).
	MTLS bool `json:"mtls,omitempty"`
	// InstanceIdentityCA is the PEM of the CA that signs Diego's instance
	// identity certificates; mesh mutual TLS trusts nothing else. Required
	// with MTLS.
	InstanceIdentityCA string `json:"instance_identity_ca,omitempty"`
	// ContainerConfigDirectory is where Diego's executor writes a
	// container's SDS files, as the container sees it.
	ContainerConfigDirectory string `json:"container_config_directory,omitempty"`
	// CertificateProvider names the certificate provider instance in a
	// proxyless gRPC app's bootstrap that holds its instance identity and
	// the instance identity CA.
	CertificateProvider string `json:"certificate_provider,omitempty"`
	// AccessLogPath, when set, is where container sidecars write one JSON
	// line per outbound request (`/dev/stdout` shows them in the app's
	// logs as PROXY lines); empty logs nothing.
	AccessLogPath string `json:"access_log_path,omitempty"`
}

// Diego's contract for container sidecars (cf-contracts.md §6).
const (
	DefaultContainerConfigDirectory = "/etc/cf-assets/envoy_config"
	DefaultCertificateProvider      = "default"
	// IdentitySecret is the container's instance identity key pair; mesh
	// callers present it.
	IdentitySecret = "id-cert-and-key"
	// C2CSecret is the key pair whose SANs are the instance GUID and every
	// internal route of the app; mesh callees present it, so callers can
	// verify the route they called.
	C2CSecret = "c2c-cert-and-key"
	// VirtualOutboundPort is where garden-cni redirects a container's
	// traffic (its proxy_port, hard-coded).
	VirtualOutboundPort = 15001
	// The executor's own listeners take ports from 61001 up (61443 is its
	// c2c TLS port); a dynamic listener there would take their traffic.
	executorFirstPort = 61001
	executorLastPort  = 65534
)

// reservedInContainer says whether a container port belongs to Diego's
// executor or to the redirect: cf-mesh adds no listener there.
func reservedInContainer(port uint32) bool {
	return port == VirtualOutboundPort || (port >= executorFirstPort && port <= executorLastPort)
}

func (o MeshOptions) withDefaults() MeshOptions {
	if o.ContainerConfigDirectory == "" {
		o.ContainerConfigDirectory = DefaultContainerConfigDirectory
	}
	if o.CertificateProvider == "" {
		o.CertificateProvider = DefaultCertificateProvider
	}
	return o
}

// containerSecret references one of the SDS files Diego writes into every
// container, `sds-<name>.yaml`, as the executor's own listeners do.
func containerSecret(name string, o MeshOptions) *tlsv3.SdsSecretConfig {
	return &tlsv3.SdsSecretConfig{
		Name: name,
		SdsConfig: &corev3.ConfigSource{
			ResourceApiVersion: corev3.ApiVersion_V3,
			ConfigSourceSpecifier: &corev3.ConfigSource_PathConfigSource{PathConfigSource: &corev3.PathConfigSource{
				Path:             filepath.Join(o.ContainerConfigDirectory, "sds-"+name+".yaml"),
				WatchedDirectory: &corev3.WatchedDirectory{Path: o.ContainerConfigDirectory},
			}},
		},
	}
}

// identityCA is the validation context mesh mutual TLS verifies peers
// with: the instance identity CA, inline (a CA certificate is public).
func identityCA(o MeshOptions) *tlsv3.CertificateValidationContext {
	return &tlsv3.CertificateValidationContext{
		TrustedCa: &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: o.InstanceIdentityCA}},
	}
}
