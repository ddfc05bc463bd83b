package meshctl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxStatusBody bounds what meshctl reads from a status server (a config
// dump of a large foundation is tens of megabytes).
const maxStatusBody = 512 << 20

// statusServer is a copilot's or pilot's loopback status server.
type statusServer struct {
	// what names the process in errors ("copilot", "pilot").
	what, flag string
	base       *url.URL
	http       *http.Client
}

// newStatusServer takes `host:port` or an http(s) URL.
func newStatusServer(what, flag, address string, client *http.Client) (*statusServer, error) {
	raw := address
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, usagef("--%s %q is not host:port or an http(s) URL", flag, address)
	}
	return &statusServer{what: what, flag: flag, base: u, http: client}, nil
}

// get fetches path (with query) and returns the body of a 200 answer.
// Anything else becomes an error naming the process and its reason (the
// status servers answer 404 with a one-line reason: not synced yet, no
// such proxy).
func (s *statusServer) get(ctx context.Context, path string, query url.Values) ([]byte, error) {
	u := s.base.JoinPath(path)
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s status server at %s is not reachable (is the %s running on this VM? --%s sets the address): %w",
			s.what, s.base.Host, s.what, s.flag, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxStatusBody))
	if err != nil {
		return nil, fmt.Errorf("reading %s from the %s: %w", path, s.what, err)
	}
	if resp.StatusCode != http.StatusOK {
		reason := strings.TrimSpace(string(body))
		if reason == "" {
			reason = resp.Status
		}
		return nil, fmt.Errorf("%s answered %s with %d: %s", s.what, path, resp.StatusCode, reason)
	}
	return body, nil
}

// getJSON fetches path and decodes it into v, refusing unknown shapes.
func (s *statusServer) getJSON(ctx context.Context, path string, v any) error {
	body, err := s.get(ctx, path, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s answered %s with something that is not its JSON (is --%s a %s status server?): %w", s.what, path, s.flag, s.what, err)
	}
	return nil
}

// writeJSON prints v indented, for --json.
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}
