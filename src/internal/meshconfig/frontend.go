package meshconfig

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
)

// FrontendCertificate is an operator's certificate for the gateway: Name
// finds its key pair on the gateway (credentialName, served by SDS), Hosts
// are its DNS SANs.
type FrontendCertificate struct {
	Name  string   `json:"name"`
	Hosts []string `json:"hosts"`
}

var certificateName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// FrontendCertificateFromPEM reads the DNS SANs of the first certificate in
// a PEM chain. The private key never reaches the copilot.
func FrontendCertificateFromPEM(name string, chain []byte) (FrontendCertificate, error) {
	if !certificateName.MatchString(name) {
		return FrontendCertificate{}, fmt.Errorf("frontend certificate %q: the name must be a DNS label (lower-case letters, digits, '-')", name)
	}
	block, _ := pem.Decode(chain)
	if block == nil || block.Type != "CERTIFICATE" {
		return FrontendCertificate{}, fmt.Errorf("frontend certificate %s: no PEM CERTIFICATE block", name)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return FrontendCertificate{}, fmt.Errorf("frontend certificate %s: %w", name, err)
	}
	if len(cert.DNSNames) == 0 {
		return FrontendCertificate{}, errors.New("frontend certificate " + name + ": no DNS subject alternative names, so no host to serve")
	}
	return FrontendCertificate{Name: name, Hosts: append([]string(nil), cert.DNSNames...)}, nil
}
