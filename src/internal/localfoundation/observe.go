package localfoundation

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc"

	"code.cloudfoundry.org/cf-mesh/internal/localfoundation/proxyless"
	"code.cloudfoundry.org/cf-mesh/internal/source"
	"code.cloudfoundry.org/cf-mesh/internal/source/routefile"
)

// checkTolerance is how far, in percentage points, an observed share may
// be from its weight for -check to pass.
const checkTolerance = 7.0

// share is one destination's expected and observed part of a route.
type share struct {
	app      string
	want     float64
	observed float64
}

// observeRoute makes calls through a proxyless client and compares each
// destination's share with its weight.
func (f *foundation) observeRoute(ctx context.Context, conn *grpc.ClientConn, route source.DesiredRoute, calls int) ([]share, int, error) {
	counts, err := proxyless.Split(ctx, conn, calls)
	failed := counts[""]
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
	return shares, failed, err
}

// expectedWeight is destination i's percentage: its weight, or an equal
// share for an unweighted route.
func expectedWeight(route source.DesiredRoute, i int) float64 {
	if w := route.Destinations[i].Weight; w != nil {
		return float64(*w)
	}
	return 100 / float64(len(route.Destinations))
}

// observable are the routes a proxyless client can dial: whole hosts, not
// wildcards or context paths (gRPC's path is its method).
func observable(routes source.DesiredRoutes) []source.DesiredRoute {
	var out []source.DesiredRoute
	for _, r := range routes.Routes {
		if r.Path == "" && !strings.HasPrefix(r.Host, "*") {
			out = append(out, r)
		}
	}
	return out
}

// currentRoutes re-reads the route file so edits show in the display; a
// broken edit keeps the last good routes (as the copilot does).
func (f *foundation) currentRoutes() source.DesiredRoutes {
	data, err := os.ReadFile(f.routesPath)
	if err != nil {
		return f.routes
	}
	if routes, err := routefile.Parse(data); err == nil {
		f.routes = routes
	}
	return f.routes
}

// display prints the observed split every few seconds until ctx ends.
func (f *foundation) display(ctx context.Context) error {
	fmt.Fprintln(f.out, "\nobserved split through a proxyless gRPC client (Ctrl-C stops):")
	clients := map[string]*grpc.ClientConn{}
	defer closeAll(clients)
	for {
		for _, route := range observable(f.currentRoutes()) {
			conn, err := f.client(clients, route.Host)
			if err != nil {
				return err
			}
			shares, failed, _ := f.observeRoute(ctx, conn, route, 200)
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintln(f.out, formatShares(route.Host, shares, failed))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(2 * time.Second):
		}
	}
}

// check waits until every observable route's split matches its weights.
func (f *foundation) check(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	clients := map[string]*grpc.ClientConn{}
	defer closeAll(clients)
	for {
		ok, report, err := f.checkOnce(ctx, clients)
		if err != nil {
			return err
		}
		if ok {
			fmt.Fprintf(f.out, "%s\ncheck passed: every route's split is within %.0f points of its weights\n", report, checkTolerance)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("check failed after %s: the observed split does not match the weights:\n%s", timeout, report)
		case <-time.After(time.Second):
		}
	}
}

func (f *foundation) checkOnce(ctx context.Context, clients map[string]*grpc.ClientConn) (bool, string, error) {
	ok := true
	var report []string
	for _, route := range observable(f.routes) {
		conn, err := f.client(clients, route.Host)
		if err != nil {
			return false, "", err
		}
		shares, failed, _ := f.observeRoute(ctx, conn, route, 500)
		report = append(report, formatShares(route.Host, shares, failed))
		ok = ok && splitMatches(shares, failed)
		if f.gatewayRunning {
			shares, failed := f.observeGatewayRoute(ctx, route, 500)
			report = append(report, formatShares(route.Host+" (gateway)", shares, failed))
			ok = ok && splitMatches(shares, failed)
		}
	}
	return ok, strings.Join(report, "\n"), nil
}

// splitMatches is true when no call failed and every share is within
// checkTolerance of its weight.
func splitMatches(shares []share, failed int) bool {
	ok := failed == 0
	for _, s := range shares {
		ok = ok && math.Abs(s.observed-s.want) <= checkTolerance
	}
	return ok
}

func (f *foundation) client(clients map[string]*grpc.ClientConn, host string) (*grpc.ClientConn, error) {
	if conn, ok := clients[host]; ok {
		return conn, nil
	}
	conn, err := proxyless.Dial(f.ports.xds, "local-client", host)
	if err != nil {
		return nil, err
	}
	clients[host] = conn
	return conn, nil
}

func closeAll(clients map[string]*grpc.ClientConn) {
	for _, c := range clients {
		_ = c.Close()
	}
}

func formatShares(host string, shares []share, failed int) string {
	sort.SliceStable(shares, func(i, j int) bool { return shares[i].want > shares[j].want })
	parts := []string{fmt.Sprintf("%-22s", host)}
	for _, s := range shares {
		parts = append(parts, fmt.Sprintf("app %s: weight %5.1f%% observed %5.1f%%", shortGUID(s.app), s.want, s.observed))
	}
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("failed calls: %d", failed))
	}
	return strings.Join(parts, "   ")
}
