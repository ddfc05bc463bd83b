package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// IDHeader carries the answering instance's identity, as the local
// foundation's sample backends do.
const IDHeader = "X-Cf-Mesh-Backend"

// App answers with its identity and proxies /proxy/... calls.
type App struct {
	identity string
	client   *http.Client
}

// New returns the app's handler.
func New(identity string, client *http.Client) *App {
	return &App{identity: identity, client: client}
}

// Identity is `<application_name>/<index>` from VCAP_APPLICATION and
// CF_INSTANCE_INDEX; "meshapp/0" outside Cloud Foundry.
func Identity(vcapApplication, index string) string {
	var v struct {
		Name string `json:"application_name"`
	}
	if json.Unmarshal([]byte(vcapApplication), &v) != nil || v.Name == "" {
		v.Name = "meshapp"
	}
	if index == "" {
		index = "0"
	}
	return v.Name + "/" + index
}

func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(IDHeader, a.identity)
	if target, ok := strings.CutPrefix(r.URL.Path, "/proxy/"); ok {
		a.proxy(w, r, target)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintln(w, a.identity)
}

// proxy GETs http://<target> and relays its status and body.
func (a *App) proxy(w http.ResponseWriter, r *http.Request, target string) {
	host, path, _ := strings.Cut(target, "/")
	if host == "" {
		http.Error(w, "proxy: want /proxy/<host[:port]>/<path>", http.StatusBadRequest)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://"+host+"/"+path, nil)
	if err != nil {
		http.Error(w, "proxy: "+err.Error(), http.StatusBadRequest)
		return
	}
	resp, err := a.client.Do(req)
	if err != nil {
		http.Error(w, "proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
