package meshctl

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/xdsserver"
)

func runProxies(ctx context.Context, env Env, args []string) error {
	f := newFlags("proxies", "meshctl proxies [--pilot ADDRESS] [--json]").withJSON().withTimeoutFlag()
	pilotAddress := f.String("pilot", DefaultPilotAddress, "the pilot's status server, host:port or URL")
	positional, err := f.parse(env, args)
	if err != nil {
		return err
	}
	if len(positional) > 0 {
		return usagef("proxies takes no arguments, got %q", positional)
	}
	pilot, err := newStatusServer("pilot", "pilot", *pilotAddress, env.HTTPClient)
	if err != nil {
		return err
	}
	ctx, cancel := f.bound(ctx)
	defer cancel()
	var proxies []xdsserver.ProxyStatus
	if err := pilot.getJSON(ctx, "/debug/syncz", &proxies); err != nil {
		return err
	}
	if f.jsonOutput() {
		return writeJSON(env.Stdout, proxies)
	}
	return RenderProxies(env.Stdout, proxies, env.Now())
}

func runConfigDump(ctx context.Context, env Env, args []string) error {
	f := newFlags("config-dump", "meshctl config-dump NODE_ID [--pilot ADDRESS]").withTimeoutFlag()
	pilotAddress := f.String("pilot", DefaultPilotAddress, "the pilot's status server, host:port or URL")
	positional, err := f.parse(env, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		return usagef("config-dump takes one proxy node id (`meshctl proxies` lists them), got %d arguments", len(positional))
	}
	pilot, err := newStatusServer("pilot", "pilot", *pilotAddress, env.HTTPClient)
	if err != nil {
		return err
	}
	ctx, cancel := f.bound(ctx)
	defer cancel()
	body, err := pilot.get(ctx, "/debug/config_dump", url.Values{"proxy": {positional[0]}})
	if err != nil {
		return err
	}
	_, err = env.Stdout.Write(body)
	return err
}

// xdsTypes orders and abbreviates the xDS types of a proxy's status as
// Envoy's documentation names the services.
var xdsTypes = []struct{ name, short string }{
	{"Listener", "LDS"}, {"RouteConfiguration", "RDS"}, {"Cluster", "CDS"},
	{"ClusterLoadAssignment", "EDS"}, {"Secret", "SDS"},
}

// Sync states of one xDS type on one stream.
const (
	syncSynced  = "SYNCED"   // the last response sent was ACKed
	syncSent    = "SENT"     // sent, not answered yet
	syncNacked  = "NACKED"   // the proxy rejected the last response
	syncNotSent = "NOT SENT" // nothing sent yet (not subscribed, or nothing to send)
)

// SyncState says where one xDS type stands on one stream.
func SyncState(t xdsserver.TypeStatus) string {
	switch {
	case t.Sent == "":
		return syncNotSent
	case t.Acked == t.Sent:
		return syncSynced
	case t.Nacks > 0 && t.LastError != "":
		return syncNacked
	default:
		return syncSent
	}
}

// RenderProxies prints every connected proxy and, per xDS type, what the
// pilot sent (a version for State of the World, a nonce for Delta), what
// the proxy ACKed, how many resources, how many NACKs and the last error.
func RenderProxies(w io.Writer, proxies []xdsserver.ProxyStatus, now time.Time) error {
	var tab table
	tab.row("NODE", "CLASS", "XDS", "CONNECTED", "TYPE", "STATE", "SENT", "ACKED", "RESOURCES", "NACKS", "LAST ERROR")
	for _, p := range proxies {
		transport := "sotw"
		if p.Delta {
			transport = "delta"
		}
		lead := []string{p.Node, string(p.Class), transport, age(now.Sub(p.ConnectedAt))}
		types := orderedTypes(p.Types)
		if len(types) == 0 {
			tab.row(append(lead, "-", syncNotSent)...)
		}
		for _, name := range types {
			t := p.Types[name]
			tab.row(append(lead, shortTypeName(name), SyncState(t), orDash(t.Sent), orDash(t.Acked),
				strconv.Itoa(t.ResourcesSent), strconv.Itoa(t.Nacks), clip(t.LastError, 80))...)
			lead = []string{"", "", "", ""}
		}
	}
	if err := tab.write(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d proxies connected\n", len(proxies))
	return err
}

// orderedTypes lists a proxy's types: LDS, RDS, CDS, EDS, SDS, then any
// other by name.
func orderedTypes(types map[string]xdsserver.TypeStatus) []string {
	rank := func(name string) int {
		for i, t := range xdsTypes {
			if t.name == name {
				return i
			}
		}
		return len(xdsTypes)
	}
	names := make([]string, 0, len(types))
	for name := range types {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := rank(names[i]), rank(names[j])
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	return names
}

func shortTypeName(name string) string {
	for _, t := range xdsTypes {
		if t.name == name {
			return t.short
		}
	}
	return name
}

// age is a duration an operator reads at a glance: 42s, 5m3s, 2h0m, 3d4h.
func age(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Truncate(time.Second)
	switch {
	case d < time.Hour:
		return d.String()
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}
