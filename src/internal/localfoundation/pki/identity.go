package pki

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"net"
	"time"
)

// InstanceIdentity describes a certificate shaped like the ones Diego's
// executor issues every app instance (cf-contracts.md §8): CN the instance
// GUID; OUs `organization:<guid>`, `space:<guid>`, `app:<guid>`; client
// and server auth; an RSA key.
type InstanceIdentity struct {
	InstanceGUID, AppGUID, SpaceGUID, OrganizationGUID string
	// DNSNames and IPs are the SANs: the identity certificate has the
	// instance GUID and the container IP, the c2c certificate the instance
	// GUID and every internal route of the app.
	DNSNames []string
	IPs      []net.IP
}

// IssueInstanceIdentity signs an instance identity certificate.
func (ca *CA) IssueInstanceIdentity(id InstanceIdentity) (certPEM, keyPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	template := &x509.Certificate{
		SerialNumber: serial(),
		Subject: pkix.Name{
			CommonName: id.InstanceGUID,
			OrganizationalUnit: []string{
				"organization:" + id.OrganizationGUID, "space:" + id.SpaceGUID, "app:" + id.AppGUID,
			},
		},
		NotBefore:   time.Now().Add(-time.Minute),
		NotAfter:    time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageKeyAgreement,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		DNSNames:    id.DNSNames,
		IPAddresses: id.IPs,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), nil
}
