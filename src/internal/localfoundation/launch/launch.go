package launch

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"code.cloudfoundry.org/cf-mesh/internal/gatewaybootstrap"
	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/pki"
	"code.cloudfoundry.org/cf-mesh/internal/xdsresources"
)

// FreeAddresses sets each address to a free port on 127.0.0.1.
func FreeAddresses(addresses ...*string) error {
	for _, addr := range addresses {
		a, err := FreeAddress()
		if err != nil {
			return err
		}
		*addr = a
	}
	return nil
}

// PortOf is the port of a host:port address, 0 when it has none.
func PortOf(address string) uint32 {
	_, port, _ := net.SplitHostPort(address)
	n, _ := strconv.ParseUint(port, 10, 16)
	return uint32(n)
}

// WriteJSON writes v as an indented JSON file only its owner reads, as a
// BOSH job's rendered configuration.
func WriteJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o600)
}

// FrontendCertificate is an operator's certificate a gateway terminates
// HTTPS with, by its SDS secret name.
type FrontendCertificate struct {
	Name      string
	Cert, Key []byte
}

// WriteGatewaySecrets writes into dir the SDS files a gateway Envoy reads,
// as the gateway job renders them: the client certificate it presents to
// container proxies (issued by upstreamCA for gorouter's SAN), the CA that
// verifies those proxies, and the frontend certificates.
func WriteGatewaySecrets(dir string, upstreamCA *pki.CA, frontends ...FrontendCertificate) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	clientCert, clientKey, err := upstreamCA.Issue("gateway", "gorouter.service.cf.internal")
	if err != nil {
		return err
	}
	files := map[string]func() ([]byte, error){
		xdsresources.DefaultUpstreamClientSecret: func() ([]byte, error) {
			return gatewaybootstrap.CertificateSecretFile(xdsresources.DefaultUpstreamClientSecret, clientCert, clientKey)
		},
		xdsresources.DefaultUpstreamCASecret: func() ([]byte, error) {
			return gatewaybootstrap.ValidationSecretFile(xdsresources.DefaultUpstreamCASecret, upstreamCA.PEM)
		},
	}
	for _, fc := range frontends {
		files[fc.Name] = func() ([]byte, error) { return gatewaybootstrap.CertificateSecretFile(fc.Name, fc.Cert, fc.Key) }
	}
	for name, render := range files {
		data, err := render()
		if err != nil {
			return fmt.Errorf("SDS file %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}
