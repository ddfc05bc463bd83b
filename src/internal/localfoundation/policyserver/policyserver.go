package policyserver

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/pki"
)

// PoliciesPath is the internal API's policy list.
const PoliciesPath = "/networking/v1/internal/policies"

// ServerName is the DNS name in the certificate the stand-in issues itself,
// besides 127.0.0.1: the real policy server's name in cf-deployment.
const ServerName = "policy-server.service.cf.internal"

// Policy is a container-to-container policy as the Go API takes it.
type Policy struct {
	SourceAppGUID      string
	DestinationAppGUID string
	// Protocol defaults to tcp.
	Protocol string
	// StartPort..EndPort is the destination port range; EndPort defaults
	// to StartPort.
	StartPort, EndPort int
}

func (p Policy) withDefaults() Policy {
	if p.Protocol == "" {
		p.Protocol = "tcp"
	}
	if p.EndPort == 0 {
		p.EndPort = p.StartPort
	}
	return p
}

// Options configure a Server.
type Options struct {
	// ClientCAPEM holds the CA certificate(s) that must have signed a
	// client's certificate. Required.
	ClientCAPEM []byte
	// ServerCertPEM and ServerKeyPEM are the certificate the server
	// presents. Unset: the stand-in issues one for 127.0.0.1 and
	// ServerName from a CA of its own (see CAPEM).
	ServerCertPEM, ServerKeyPEM []byte
	// ErrorLog receives the HTTP server's errors (TLS handshakes refused
	// for want of a good client certificate, among others). Unset:
	// discarded.
	ErrorLog io.Writer
}

// Server is the running stand-in.
type Server struct {
	server  *httptest.Server
	caPEM   []byte
	closing chan struct{}
	once    sync.Once

	mu       sync.Mutex
	policies []Policy
	tags     map[string]string
	status   int           // non-zero: answer every request with it
	hang     chan struct{} // non-nil: hold requests until it closes
	requests int
}

// Start serves the stand-in on 127.0.0.1 over mutual TLS.
func Start(opts Options) (*Server, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(opts.ClientCAPEM) {
		return nil, errors.New("policyserver: ClientCAPEM holds no PEM certificate")
	}
	s := &Server{closing: make(chan struct{}), tags: map[string]string{}}
	certPEM, keyPEM := opts.ServerCertPEM, opts.ServerKeyPEM
	if len(certPEM) == 0 {
		ca, err := pki.NewCA("policy-server stand-in CA")
		if err != nil {
			return nil, fmt.Errorf("policyserver: %w", err)
		}
		if certPEM, keyPEM, err = ca.Issue(ServerName, ServerName, "127.0.0.1"); err != nil {
			return nil, fmt.Errorf("policyserver: %w", err)
		}
		s.caPEM = ca.PEM
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("policyserver: server certificate: %w", err)
	}
	errorLog := opts.ErrorLog
	if errorLog == nil {
		errorLog = io.Discard
	}
	s.server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.server.Config.ErrorLog = log.New(errorLog, "policy-server stand-in: ", 0)
	s.server.TLS = &tls.Config{
		MinVersion:   tls.VersionTLS12,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		Certificates: []tls.Certificate{cert},
	}
	s.server.StartTLS()
	return s, nil
}

// URL is the server's base URL, https://127.0.0.1:<port>.
func (s *Server) URL() string {
	return s.server.URL
}

// CAPEM is the CA certificate that signed the server's certificate when
// the stand-in issued it itself; nil when Options gave one.
func (s *Server) CAPEM() []byte {
	return slices.Clone(s.caPEM)
}

// Close releases held requests and stops the server.
func (s *Server) Close() {
	s.once.Do(func() { close(s.closing) })
	s.server.Close()
}

// AddPolicy adds a policy (defaults applied); false when it is already
// there.
func (s *Server) AddPolicy(p Policy) bool {
	p = p.withDefaults()
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.policies, p) {
		return false
	}
	s.policies = append(s.policies, p)
	return true
}

// RemovePolicy removes a policy (defaults applied); false when it was not
// there.
func (s *Server) RemovePolicy(p Policy) bool {
	p = p.withDefaults()
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.Index(s.policies, p)
	if i < 0 {
		return false
	}
	s.policies = slices.Delete(s.policies, i, i+1)
	return true
}

// Policies returns the policies served, in the order they were added.
func (s *Server) Policies() []Policy {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.policies)
}

// Fail makes every request answer status (500 when 0) with the policy
// server's error JSON, until Recover.
func (s *Server) Fail(status int) {
	if status == 0 {
		status = http.StatusInternalServerError
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = status
}

// Hang makes every request wait, answering nothing, until the client gives
// up, Recover or Close.
func (s *Server) Hang() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hang == nil {
		s.hang = make(chan struct{})
	}
}

// Recover ends Fail and Hang: held requests and later ones are served
// normally.
func (s *Server) Recover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = 0
	if s.hang != nil {
		close(s.hang)
		s.hang = nil
	}
}

// Requests counts the requests that got past mutual TLS, whatever their
// path and outcome.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	status, hang := s.status, s.hang
	s.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-r.Context().Done():
			panic(http.ErrAbortHandler) // a hung server answers nothing, not an empty 200
		case <-s.closing:
			panic(http.ErrAbortHandler)
		}
	}
	switch {
	case status != 0:
		writeJSON(w, status, map[string]string{"error": "database read failed"})
	case r.URL.Path != PoliciesPath:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
	case r.Method != http.MethodGet:
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
	default:
		writeJSON(w, http.StatusOK, s.list(r))
	}
}

// The JSON shapes of cf-networking's policy-server api package.
type (
	policiesJSON struct {
		TotalPolicies int          `json:"total_policies"`
		Policies      []policyJSON `json:"policies"`
	}
	policyJSON struct {
		Source      sourceJSON      `json:"source"`
		Destination destinationJSON `json:"destination"`
	}
	sourceJSON struct {
		ID  string `json:"id"`
		Tag string `json:"tag,omitempty"`
	}
	destinationJSON struct {
		ID       string    `json:"id"`
		Tag      string    `json:"tag,omitempty"`
		Protocol string    `json:"protocol"`
		Ports    portsJSON `json:"ports"`
	}
	portsJSON struct {
		Start int `json:"start"`
		End   int `json:"end"`
	}
)

// list answers the policy list, filtered as the real handler filters by
// `id` (its first value, split on commas): policies whose source or
// destination is among the IDs.
func (s *Server) list(r *http.Request) policiesJSON {
	var ids []string
	if values, ok := r.URL.Query()["id"]; ok {
		ids = strings.Split(values[0], ",")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := policiesJSON{Policies: []policyJSON{}}
	for _, p := range s.policies {
		if ids != nil && !slices.Contains(ids, p.SourceAppGUID) && !slices.Contains(ids, p.DestinationAppGUID) {
			continue
		}
		out.Policies = append(out.Policies, policyJSON{
			Source: sourceJSON{ID: p.SourceAppGUID, Tag: s.tag(p.SourceAppGUID)},
			Destination: destinationJSON{ID: p.DestinationAppGUID, Tag: s.tag(p.DestinationAppGUID), Protocol: p.Protocol,
				Ports: portsJSON{Start: p.StartPort, End: p.EndPort}},
		})
	}
	out.TotalPolicies = len(out.Policies)
	return out
}

// tag is the group tag the policy server gives an ID, in the order IDs are
// first served; the caller holds s.mu.
func (s *Server) tag(id string) string {
	if t, ok := s.tags[id]; ok {
		return t
	}
	t := fmt.Sprintf("%04X", len(s.tags)+1)
	s.tags[id] = t
	return t
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
