package meshctl

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"code.cloudfoundry.org/cf-mesh/internal/meshconfig"
	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
	"code.cloudfoundry.org/cf-mesh/internal/source"
)

func runRoutes(ctx context.Context, env Env, args []string) error {
	f := newFlags("routes", "meshctl routes [--host HOST] [--copilot ADDRESS] [--json]").withJSON().withTimeoutFlag()
	copilotAddress := f.String("copilot", DefaultCopilotAddress, "the copilot's status server, host:port or URL")
	host := f.String("host", "", "show only the routes of this host")
	positional, err := f.parse(env, args)
	if err != nil {
		return err
	}
	if len(positional) > 0 {
		return usagef("routes takes no arguments, got %q", positional)
	}
	copilot, err := newStatusServer("copilot", "copilot", *copilotAddress, env.HTTPClient)
	if err != nil {
		return err
	}
	ctx, cancel := f.bound(ctx)
	defer cancel()
	var t routingtable.Table
	if err := copilot.getJSON(ctx, "/debug/routes", &t); err != nil {
		return err
	}
	if *host != "" {
		t = routesOfHost(t, *host)
	}
	if f.jsonOutput() {
		return writeJSON(env.Stdout, t)
	}
	return RenderRoutes(env.Stdout, t)
}

func routesOfHost(t routingtable.Table, host string) routingtable.Table {
	var out routingtable.Table
	for _, r := range t.Routes {
		if strings.EqualFold(r.Host, host) {
			out.Routes = append(out.Routes, r)
		}
	}
	return out
}

// RenderRoutes prints a routing table as gorouter's /routes reads to an
// operator: one line per destination, then one per further endpoint. WEIGHT
// is Cloud Controller's (- for an unweighted route); SHARE is the percentage
// of the route's traffic the gateways send it (a destination without live
// endpoints gets none while another has some, ADR 5).
func RenderRoutes(w io.Writer, t routingtable.Table) error {
	var tab table
	tab.row("ROUTE", "ORIGIN", "APP", "PROCESS", "PORT", "WEIGHT", "SHARE", "ENDPOINTS")
	destinations, endpoints := 0, 0
	for _, r := range t.Routes {
		name := r.Host + r.Path
		if r.Internal {
			name += " (internal)"
		}
		if len(r.Destinations) == 0 {
			tab.row(name, string(r.Origin), "-", "-", "-", "-", "-", "-")
			continue
		}
		origin := string(r.Origin)
		shares := meshconfig.EffectiveWeights(r.Destinations)
		for i, d := range r.Destinations {
			destinations++
			endpoints += len(d.Endpoints)
			first := "-"
			if len(d.Endpoints) > 0 {
				first = endpointString(d.Endpoints[0])
			}
			tab.row(name, origin, orDash(d.AppGUID), orDash(d.ProcessType), portString(d.Port),
				weightString(d.Weight), fmt.Sprintf("%d%%", shares[i]), first)
			for _, e := range d.Endpoints[min(1, len(d.Endpoints)):] {
				tab.row("", "", "", "", "", "", "", endpointString(e))
			}
			name, origin = "", ""
		}
	}
	if err := tab.write(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d routes, %d destinations, %d endpoints\n", len(t.Routes), destinations, endpoints)
	return err
}

// endpointString is `ip:port`, with the TLS port of the container's proxy
// when it registered one (`ip:port tls:61443`, or `ip tls:61443` for a
// TLS-only instance).
func endpointString(e source.Endpoint) string {
	s := e.Address
	if e.Port != 0 {
		s += ":" + strconv.FormatUint(uint64(e.Port), 10)
	}
	if e.TLSPort != 0 {
		s += " tls:" + strconv.FormatUint(uint64(e.TLSPort), 10)
	}
	return s
}

func weightString(w *int32) string {
	if w == nil {
		return "-"
	}
	return strconv.Itoa(int(*w))
}

func portString(p uint32) string {
	if p == 0 {
		return "-"
	}
	return strconv.FormatUint(uint64(p), 10)
}
