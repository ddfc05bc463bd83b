package routeregistry

import (
	"errors"
	"fmt"
	"strings"
)

// NormalizeURI returns the key a registered URI is stored under, following
// gorouter's `route.Uri.RouteKey`: the `?query` suffix is cut, trailing
// `/`s are trimmed, and the host is lower-cased. The path is kept
// (`host/path`), and a wildcard host `*.domain` is kept as is.
//
// Decision: only the host is lower-cased. gorouter lower-cases the whole
// key (and the request path at lookup, so its path matching is
// case-insensitive); Cloud Controller keeps a route's path as the user
// typed it, and route-emitter sends it unchanged, so keeping the path's case
// lets the routing table join NATS URIs to CC routes byte for byte.
//
// It rejects what gorouter could never route: an empty host, a host with a
// port, a scheme or whitespace, and `*` anywhere but a leading `*.` label.
func NormalizeURI(uri string) (string, error) {
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	uri = strings.TrimRight(uri, "/")
	host, path, _ := strings.Cut(uri, "/")
	if err := validateURIHost(host); err != nil {
		return "", fmt.Errorf("uri %q: %w", truncate(uri, 256), err)
	}
	if strings.ContainsFunc(path, isSpaceOrControl) {
		return "", fmt.Errorf("uri %q: path contains whitespace or control characters", truncate(uri, 256))
	}
	lower := strings.ToLower(host)
	if path == "" {
		return lower, nil
	}
	if lower == host {
		// uri is host + "/" + path: no copy, so the steady re-registration
		// of a path route allocates nothing.
		return uri, nil
	}
	return lower + "/" + path, nil
}

func validateURIHost(host string) error {
	if host == "" {
		return errors.New("host is empty")
	}
	if strings.ContainsFunc(host, isSpaceOrControl) {
		return errors.New("host contains whitespace or control characters")
	}
	if strings.Contains(host, ":") {
		return errors.New("host must not contain a port or scheme")
	}
	rest := strings.TrimPrefix(host, "*.")
	if strings.Contains(rest, "*") {
		return errors.New("a wildcard is allowed only as the leading `*.` label")
	}
	if rest == "" || strings.HasPrefix(rest, ".") || strings.Contains(rest, "..") {
		return errors.New("host has an empty label")
	}
	return nil
}

func isSpaceOrControl(r rune) bool {
	return r <= ' ' || r == 0x7f || r == '\uFFFD'
}
