package localfoundation

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/source"
)

// observeGatewayRoute sends calls plain HTTP requests for route through the
// Envoy gateway and counts answers by backend, as observeRoute does for
// the proxyless client.
func (f *foundation) observeGatewayRoute(ctx context.Context, route source.DesiredRoute, calls int) ([]share, int) {
	client := &http.Client{Timeout: 5 * time.Second}
	counts := map[string]int{}
	for range calls {
		counts[f.gatewayCall(ctx, client, route.Host)]++
	}
	var shares []share
	for i, d := range route.Destinations {
		n := 0
		for id, c := range counts {
			if strings.HasPrefix(id, shortGUID(d.AppGUID)+"/") {
				n += c
			}
		}
		shares = append(shares, share{app: d.AppGUID, want: expectedWeight(route, i), observed: 100 * float64(n) / float64(calls)})
	}
	return shares, counts[""]
}

// gatewayCall returns the answering backend's ID, or "" on any failure.
func (f *foundation) gatewayCall(ctx context.Context, client *http.Client, host string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+f.ports.gateway+"/", nil)
	if err != nil {
		return ""
	}
	req.Host = host
	resp, err := client.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	return strings.TrimSpace(string(body))
}
