package meshbench

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Markdown renders the report as the block scripts/bench keeps in
// docs/performance.md.
func (r *Report) Markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	s := r.Size
	w("### %s: %s routes, %s endpoints, %d proxies", s.Name, count(float64(s.Routes)), count(float64(s.Endpoints)), s.Proxies())
	w("")
	w("Command: `%s`, %s, took %s. Machine: %s, %d cores, %s, load average %s at the start.",
		r.Command, r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Took.Round(time.Second), r.Machine.CPU, r.Machine.Cores, r.Machine.GoVersion, r.Machine.Load)
	w("Proxies: %d gateways over State of the World and %d over Delta, %d proxyless gRPC clients (%d hosts each), %d container sidecars over SotW and %d over Delta.",
		s.GatewaysSotW, s.GatewaysDelta, s.Proxyless, s.HostsPerProxyless, s.SidecarsSotW, s.SidecarsDelta)
	if r.InProcess {
		w("The copilot, the pilot and the naive control plane ran inside the harness: CPU and memory are the harness's.")
	}
	w("")
	r.targets(w)
	w("")
	r.sideBySide(w)
	w("")
	r.details(w)
	return b.String()
}

func (r *Report) targets(w func(string, ...any)) {
	o, cs, st := r.Ours, r.ColdStart, r.Steady
	steadyCores := st.CopilotCores + st.PilotCores
	down := st.MCPBytes + st.XDSBytes
	w("| target | measured | target | |")
	w("|---|---:|---:|---|")
	w("| endpoint added or removed → every subscribed proxy ACKed, p99 (%d changes) | %s | ≤ %s | %s |", o.Endpoint.Count,
		ms(o.Endpoint.P99), ms(Targets.EndpointP99), verdict(o.Endpoint.P99.Seconds(), Targets.EndpointP99.Seconds()))
	w("| weight PATCHed in Cloud Controller → every gateway ACKed, p99 (%d changes) | %s | ≤ %s | %s |", o.Weight.Count,
		ms(o.Weight.P99), ms(Targets.WeightP99), verdict(o.Weight.P99.Seconds(), Targets.WeightP99.Seconds()))
	w("| steady re-registration: copilot + pilot CPU | %.3f cores | ≤ %.2f cores | %s |", steadyCores, Targets.SteadyCores, verdict(steadyCores, Targets.SteadyCores))
	w("| steady re-registration: sent downstream (MCP + xDS) | %s B, %s builds | 0 | %s |", count(down), count(st.Builds), verdict(down+st.Builds, 0))
	w("| copilot peak RSS | %s | ≤ 1024 MiB | %s |", mib(float64(r.Copilot.PeakRSS)), verdict(float64(r.Copilot.PeakRSS), Targets.CopilotRSS))
	perProxy := mib(o.HeapPerProxy())
	if o.HeapPerProxy() < 0 {
		perProxy = "below GC noise" // the heap without the fleet was measured later, after more changes
	}
	w("| pilot Go heap per connected proxy | %s | ≤ 0.5 MiB | %s |", perProxy, verdict(o.HeapPerProxy(), Targets.PilotPerProxy))
	w("| cold start: copilot start → first gateway holds the whole config | %s | ≤ %s | %s |", ms(cs.FirstGateway), ms(Targets.ColdStart),
		verdict(cs.FirstGateway.Seconds(), Targets.ColdStart.Seconds()))
}

func (r *Report) sideBySide(w func(string, ...any)) {
	o, n := r.Ours, r.Naive
	w("| per change | cf-mesh pilot | naive: full snapshot per change | naive / ours |")
	w("|---|---:|---:|---:|")
	lat := func(label string, a, b ChangeStats) {
		w("| %s p50 / p99 / max | %s / %s / %s | %s / %s / %s | ×%.1f (p99) |", label, ms(a.P50), ms(a.P99), ms(a.Max), ms(b.P50), ms(b.P99), ms(b.Max),
			b.P99.Seconds()/max(a.P99.Seconds(), 1e-9))
	}
	lat(fmt.Sprintf("endpoint change → ACKed (%d / %d changes)", o.Endpoint.Count, n.Endpoint.Count), o.Endpoint, n.Endpoint)
	lat(fmt.Sprintf("weight PATCH → ACKed (%d / %d changes)", o.Weight.Count, n.Weight.Count), o.Weight, n.Weight)
	row := func(label string, a, b float64) { w("| %s | %s | %s | %s |", label, count(a), count(b), ratio(b, a)) }
	w("| changes timed out (> %s) | %d | %d | |", ms(r.Options.ChangeTimeout), o.Endpoint.TimedOut+o.Weight.TimedOut, n.Endpoint.TimedOut+n.Weight.TimedOut)
	row("subscribed proxies per endpoint change", o.Endpoint.Proxies, n.Endpoint.Proxies)
	row("xDS bytes per endpoint change (all proxies)", o.Endpoint.XDSBytes, n.Endpoint.XDSBytes)
	row("xDS resources per endpoint change", o.Endpoint.XDSResources, n.Endpoint.XDSResources)
	row("xDS bytes per weight change", o.Weight.XDSBytes, n.Weight.XDSBytes)
	row("xDS resources per weight change", o.Weight.XDSResources, n.Weight.XDSResources)
	row("MCP bytes per endpoint change (Delta / SotW)", o.Endpoint.MCPBytes, n.Endpoint.MCPBytes)
	row("MCP resources per endpoint change", o.Endpoint.MCPResources, n.Endpoint.MCPResources)
	changes := func(p PlaneStats) float64 { return float64(max(p.Endpoint.Count+p.Weight.Count, 1)) }
	w("| control-plane CPU per change | %.2f s | %.2f s | %s |", o.ControlPlaneCPU.Seconds()/changes(o), n.ControlPlaneCPU.Seconds()/changes(n),
		ratio(n.ControlPlaneCPU.Seconds()/changes(n), o.ControlPlaneCPU.Seconds()/changes(o)))
	w("| control-plane peak RSS | %s | %s | %s |", mib(float64(r.Pilot.PeakRSS)), mib(float64(r.NaivePlane.PeakRSS)), ratio(float64(r.NaivePlane.PeakRSS), float64(r.Pilot.PeakRSS)))
	w("| start → every proxy holds its config | %s | %s | |", ms(r.ColdStart.AllProxies), ms(n.ColdStart))
}

func (r *Report) details(w func(string, ...any)) {
	cs, st, in := r.ColdStart, r.Steady, r.Ingest
	w("| more | |")
	w("|---|---|")
	w("| cold start | copilot ready %s (of which NATS initial sync %s), pilot ready %s, first gateway %s, all proxies %s |",
		ms(cs.CopilotReady), ms(cs.NATSInitialSync), ms(cs.PilotReady), ms(cs.FirstGateway), ms(cs.AllProxies))
	w("| NATS ingest, one burst of every registration | %s messages published in %s, taken by the copilot in %s: **%s msgs/s**, %d missing, %.2f s copilot CPU |",
		count(float64(in.Messages)), ms(in.Publish), ms(in.Took), count(in.Rate), in.Missing, in.CopilotCPU.Seconds())
	w("| steady re-registration, %s | %s msgs/s published, %s msgs/s ingested; copilot %.3f, pilot %.3f, harness %.3f cores; %s builds, %s MCP bytes, %s xDS pushes, %s xDS bytes |",
		ms(st.Window), count(st.Published), count(st.Ingested), st.CopilotCores, st.PilotCores, st.HarnessCores, count(st.Builds), count(st.MCPBytes), count(st.XDSPushes), count(st.XDSBytes))
	w("| pilot memory | Go heap %s with %d proxies, %s without; RSS %s with proxies |", mib(r.Ours.HeapWithProxies), r.Ours.Proxies,
		mib(r.Ours.HeapWithoutProxies), mib(float64(r.Ours.RSSWithProxies)))
	w("| CPU over the whole run | copilot %.0f s, pilot %.0f s, naive %.0f s |", r.Copilot.CPU.Seconds(), r.Pilot.CPU.Seconds(), r.NaivePlane.CPU.Seconds())
	w("| peak RSS | copilot %s, pilot %s, naive %s |", mib(float64(r.Copilot.PeakRSS)), mib(float64(r.Pilot.PeakRSS)), mib(float64(r.NaivePlane.PeakRSS)))
	if limit := r.Options.copilotMemoryLimit(); limit != "" && !r.InProcess {
		w("| copilot GOMEMLIMIT | %s (the copilot job's go_memory_limit) |", limit)
	}
}

// WriteDoc puts the report's block into the performance document at path,
// replacing the block of the same size from an earlier run, or adding it
// at the end of the "Scale" section (created at the end of the file if
// there is none). It re-reads the file just before writing, so sections
// others edit meanwhile are kept.
func (r *Report) WriteDoc(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(replaceBlock(string(data), r.Size.Name, r.Markdown())), 0o644)
}

// replaceBlock swaps the text between a size's markers for block.
func replaceBlock(doc, size, block string) string {
	begin, end := "<!-- meshbench:"+size+":begin -->", "<!-- meshbench:"+size+":end -->"
	wrapped := begin + "\n" + strings.TrimRight(block, "\n") + "\n" + end
	if i := strings.Index(doc, begin); i >= 0 {
		if j := strings.Index(doc[i:], end); j >= 0 {
			return doc[:i] + wrapped + doc[i+j+len(end):]
		}
	}
	if !strings.Contains(doc, "\n## Scale\n") {
		return strings.TrimRight(doc, "\n") + "\n\n## Scale\n\n" + wrapped + "\n"
	}
	// Append at the end of the Scale section: before the next "## ".
	i := strings.Index(doc, "\n## Scale\n") + len("\n## Scale\n")
	if j := strings.Index(doc[i:], "\n## "); j >= 0 {
		return doc[:i+j] + "\n" + wrapped + "\n" + doc[i+j:]
	}
	return strings.TrimRight(doc, "\n") + "\n\n" + wrapped + "\n"
}
