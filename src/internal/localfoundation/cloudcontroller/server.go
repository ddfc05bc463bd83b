package cloudcontroller

import (
	"crypto/rand"
	"encoding/hex"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ServeHTTP counts the request, applies the first matching fault, and
// otherwise serves it.
func (cc *CloudController) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cc.mu.Lock()
	cc.requests[r.URL.Path]++
	faults := cc.faults
	cc.mu.Unlock()

	for _, f := range faults {
		status, body, delay, ok := f(r)
		if !ok {
			continue
		}
		if !wait(r, delay) {
			return
		}
		if status != 0 {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
			return
		}
		break
	}
	cc.mux.ServeHTTP(w, r)
}

// wait sleeps for d, or until the client gives up; it reports whether the
// request is still wanted.
func wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func (cc *CloudController) newMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", cc.serveRoot)
	mux.HandleFunc("POST /oauth/token", cc.serveToken)
	mux.HandleFunc("GET /v3/routes", cc.authenticated(cc.listRoutes))
	mux.HandleFunc("GET /v3/routes/{guid}", cc.authenticated(cc.getRoute))
	mux.HandleFunc("GET /v3/routes/{guid}/destinations", cc.authenticated(cc.getDestinations))
	mux.HandleFunc("PATCH /v3/routes/{guid}/destinations", cc.authenticated(cc.replaceDestinations))
	mux.HandleFunc("POST /v3/routes/{guid}/destinations", cc.authenticated(cc.insertDestinations))
	mux.HandleFunc("DELETE /v3/routes/{guid}/destinations/{destination}", cc.authenticated(cc.serveDeleteDestination))
	mux.HandleFunc("GET /v3/processes", cc.authenticated(cc.listProcesses))
	mux.HandleFunc("GET /v3/domains", cc.authenticated(cc.listDomains))
	mux.HandleFunc("GET /v3/apps", cc.authenticated(cc.listApps))
	mux.HandleFunc("GET /v3/apps/{guid}", cc.authenticated(cc.getApp))
	mux.HandleFunc("POST /v3/apps/{guid}/actions/start", cc.authenticated(cc.serveAppAction(AppStarted)))
	mux.HandleFunc("POST /v3/apps/{guid}/actions/stop", cc.authenticated(cc.serveAppAction(AppStopped)))
	mux.HandleFunc("GET /v3/spaces", cc.authenticated(cc.listSpaces))
	mux.HandleFunc("GET /v3/organizations", cc.authenticated(cc.listOrganizations))
	mux.HandleFunc("GET /v3/audit_events", cc.authenticated(cc.listEvents))
	mux.HandleFunc("GET /v3/audit_events/{guid}", cc.authenticated(cc.getEvent))
	mux.HandleFunc("GET /v3/route_policies", cc.authenticated(cc.listRoutePolicies))
	mux.HandleFunc("GET /v3/route_policies/{guid}", cc.authenticated(cc.getRoutePolicy))
	mux.HandleFunc("POST /v3/route_policies", cc.authenticated(cc.serveCreateRoutePolicy))
	mux.HandleFunc("DELETE /v3/route_policies/{guid}", cc.authenticated(cc.serveDeleteRoutePolicy))
	mux.HandleFunc("/v3/", cc.authenticated(func(w http.ResponseWriter, _ *http.Request) { writeError(w, errUnknownRequest) }))
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { writeError(w, errUnknownRequest) })
	return mux
}

// base is the URL links start with.
func (cc *CloudController) base(r *http.Request) string {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.baseURL != "" {
		return strings.TrimRight(cc.baseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type href struct {
	Href string `json:"href"`
}

func (cc *CloudController) serveRoot(w http.ResponseWriter, r *http.Request) {
	base := cc.base(r)
	type versioned struct {
		Href string `json:"href"`
		Meta any    `json:"meta"`
	}
	writeJSON(w, http.StatusOK, map[string]any{"links": map[string]any{
		"self":                href{base},
		"bits_service":        nil,
		"cloud_controller_v2": nil,
		"cloud_controller_v3": versioned{base + "/v3", map[string]string{"version": cc.opts.APIVersion}},
		"network_policy_v0":   nil,
		"network_policy_v1":   nil,
		"login":               href{base},
		"uaa":                 href{base},
		"credhub":             nil,
		"routing":             nil,
		"logging":             nil,
		"log_cache":           nil,
		"log_stream":          nil,
		"app_ssh":             nil,
	}})
}

// serveToken is UAA's token endpoint for the client_credentials grant.
func (cc *CloudController) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": err.Error()})
		return
	}
	if grant := r.PostForm.Get("grant_type"); grant != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "Unsupported grant type: " + grant})
		return
	}
	id, secret := clientFromRequest(r)
	if id != cc.opts.ClientID || secret != cc.opts.ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized", "error_description": "Bad credentials"})
		return
	}
	token := randomToken()
	cc.mu.Lock()
	cc.tokens[token] = cc.opts.Now().Add(cc.opts.TokenLifetime)
	cc.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token,
		"token_type":   "bearer",
		"expires_in":   int(math.Ceil(cc.opts.TokenLifetime.Seconds())),
		"scope":        "cloud_controller.admin_read_only",
		"jti":          token[:16],
	})
}

// clientFromRequest reads the client credentials from HTTP basic auth
// (form-encoded, as RFC 6749 §2.3.1 and golang.org/x/oauth2 do) or, failing
// that, from the form fields client_id and client_secret.
func clientFromRequest(r *http.Request) (id, secret string) {
	if user, pass, ok := r.BasicAuth(); ok {
		id, errID := url.QueryUnescape(user)
		secret, errSecret := url.QueryUnescape(pass)
		if errID != nil || errSecret != nil {
			return user, pass
		}
		return id, secret
	}
	return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

// authenticated wraps a /v3 handler with Cloud Controller's token check.
func (cc *CloudController) authenticated(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
		if !found || !strings.EqualFold(scheme, "bearer") || token == "" {
			writeError(w, errNotAuthenticated)
			return
		}
		cc.mu.Lock()
		expiry, known := cc.tokens[token]
		valid := known && cc.opts.Now().Before(expiry)
		cc.mu.Unlock()
		if !valid {
			writeError(w, errInvalidAuthToken)
			return
		}
		next(w, r)
	}
}
