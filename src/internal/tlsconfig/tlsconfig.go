package tlsconfig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// Files names the PEM files of one side of a mutual-TLS connection.
type Files struct {
	CertFile string `json:"cert_file"`
	KeyFile  string `json:"key_file"`
	CAFile   string `json:"ca_file"`
	// ServerName is the name a client verifies in the server's
	// certificate; clients only.
	ServerName string `json:"server_name,omitempty"`
}

// Enabled reports whether any file is configured.
func (f Files) Enabled() bool {
	return f.CertFile != "" || f.KeyFile != "" || f.CAFile != ""
}

// Validate checks that all three files are named. Whether they can be
// read is found out when Server or Client loads them (at start-up, with an
// error naming the file), so a configuration can be checked away from the
// machine it is for.
func (f Files) Validate() error {
	return errors.Join(f.problems()...)
}

func (f Files) problems() []error {
	var errs []error
	for _, file := range []struct{ name, path string }{{"cert_file", f.CertFile}, {"key_file", f.KeyFile}, {"ca_file", f.CAFile}} {
		if file.path == "" {
			errs = append(errs, fmt.Errorf("%s is required when TLS is configured", file.name))
		}
	}
	return errs
}

// Server returns a configuration that presents CertFile/KeyFile and
// requires clients to present a certificate signed by CAFile.
func Server(f Files) (*tls.Config, error) {
	kp, pool, err := load(f)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		ClientAuth:     tls.RequireAndVerifyClientCert,
		ClientCAs:      pool,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return kp.current() },
	}, nil
}

// Client returns a configuration that presents CertFile/KeyFile and
// verifies the server against CAFile and ServerName.
func Client(f Files) (*tls.Config, error) {
	kp, pool, err := load(f)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:           tls.VersionTLS12,
		RootCAs:              pool,
		ServerName:           f.ServerName,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return kp.current() },
	}, nil
}

func load(f Files) (*keyPair, *x509.CertPool, error) {
	if err := f.Validate(); err != nil {
		return nil, nil, err
	}
	ca, err := os.ReadFile(f.CAFile)
	if err != nil {
		return nil, nil, fmt.Errorf("ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, nil, fmt.Errorf("ca_file %s holds no PEM certificate", f.CAFile)
	}
	kp := &keyPair{certFile: f.CertFile, keyFile: f.KeyFile}
	if _, err := kp.current(); err != nil {
		return nil, nil, err
	}
	return kp, pool, nil
}

// keyPair reloads a certificate and key when either file's modification
// time changes. A broken rewrite keeps the previous pair.
type keyPair struct {
	certFile, keyFile string

	mu       sync.Mutex
	cert     *tls.Certificate
	modified [2]time.Time
}

func (k *keyPair) current() (*tls.Certificate, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	modified, err := modTimes(k.certFile, k.keyFile)
	if err != nil && k.cert != nil {
		return k.cert, nil
	}
	if err != nil {
		return nil, err
	}
	if k.cert != nil && modified == k.modified {
		return k.cert, nil
	}
	cert, err := tls.LoadX509KeyPair(k.certFile, k.keyFile)
	if err != nil {
		if k.cert != nil {
			return k.cert, nil
		}
		return nil, fmt.Errorf("loading %s and %s: %w", k.certFile, k.keyFile, err)
	}
	k.cert, k.modified = &cert, modified
	return k.cert, nil
}

func modTimes(paths ...string) ([2]time.Time, error) {
	var out [2]time.Time
	for i, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return out, err
		}
		out[i] = st.ModTime()
	}
	return out, nil
}

// ValidateEndpoint checks one control-plane endpoint's transport: with TLS
// files, that they are usable; without, that every address is loopback,
// because plaintext control-plane traffic never leaves the host (mutual TLS
// on every control-plane port). field names the setting in errors.
func ValidateEndpoint(field string, files Files, addresses ...string) error {
	var errs []error
	if files.Enabled() {
		for _, err := range files.problems() {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		}
		return errors.Join(errs...)
	}
	for _, address := range addresses {
		if err := CheckLoopback(address); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w, so TLS is required (mutual TLS on every control-plane port)", field, err))
		}
	}
	return errors.Join(errs...)
}

// CheckLoopback reports whether address is host:port with a loopback host
// (an IP in 127.0.0.0/8 or ::1, or localhost).
func CheckLoopback(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%q is not host:port", address)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s is not a loopback address", address)
	}
	return nil
}
