package meshbench

import (
	"fmt"
	"strings"
	"time"
)

// Report is what a Run measured.
type Report struct {
	Size      Size
	Options   Options
	Machine   Machine
	Command   string
	Started   time.Time
	Took      time.Duration
	InProcess bool
	Seed      time.Duration

	ColdStart ColdStart
	Steady    Steady
	Ingest    Ingest
	// Ours is the copilot and pilot; Naive the naive control plane fed by
	// the same copilot.
	Ours, Naive PlaneStats
	// Whole-run CPU and peak memory of each process.
	Copilot, Pilot, NaivePlane ProcessStats

	fleet *fleet
}

// ColdStart times, from starting the copilot and the pilot together.
type ColdStart struct {
	// NATSInitialSync is the copilot's wait for route-emitters to re-emit,
	// from its NATS connect until its NATS source was ready, as the copilot
	// measured it (cfmesh_copilot_nats_initial_sync_seconds); part of
	// CopilotReady.
	NATSInitialSync                                    time.Duration
	CopilotReady, PilotReady, FirstGateway, AllProxies time.Duration
}

// Steady is re-registration alone: rates, cost, and what went downstream.
type Steady struct {
	Window                                 time.Duration
	Published, Ingested                    float64 // messages per second
	CopilotCores, PilotCores, HarnessCores float64
	Builds, MCPBytes, XDSPushes, XDSBytes  float64
}

// Ingest is one burst of every registration.
type Ingest struct {
	Messages      int
	Publish, Took time.Duration
	Rate          float64 // messages per second the copilot took
	Missing       int
	CopilotCPU    time.Duration
}

// PlaneStats are one control plane's changes.
type PlaneStats struct {
	Endpoint, Weight ChangeStats
	// CPU while the changes ran: the copilot's (shared by both planes)
	// and the plane's own.
	CopilotCPU, ControlPlaneCPU time.Duration
	Proxies                     int
	// Pilot Go heap in use after a forced GC with and without the fleet.
	HeapWithProxies, HeapWithoutProxies float64
	RSSWithProxies                      int64
	// ColdStart (naive): start → every proxy holds its configuration.
	ColdStart time.Duration
}

// ProcessStats are a process's CPU time and peak resident memory.
type ProcessStats struct {
	CPU     time.Duration
	PeakRSS int64
}

// HeapPerProxy is the pilot's Go heap per connected proxy.
func (p PlaneStats) HeapPerProxy() float64 {
	if p.Proxies == 0 {
		return 0
	}
	return (p.HeapWithProxies - p.HeapWithoutProxies) / float64(p.Proxies)
}

// Targets are issue 8's targets on this machine.
var Targets = struct {
	EndpointP99, WeightP99, ColdStart time.Duration
	SteadyCores                       float64
	CopilotRSS, PilotPerProxy         float64
}{250 * time.Millisecond, 2 * time.Second, 30 * time.Second, 0.25, 1 << 30, 0.5 * (1 << 20)}

// verdict says whether measured is within target, and by what factor not.
func verdict(measured, target float64) string {
	if measured <= target {
		return "met"
	}
	if target == 0 {
		return "**missed**"
	}
	if r := measured / target; r < 1.1 {
		return fmt.Sprintf("**missed, ×%.2f**", r)
	}
	return fmt.Sprintf("**missed, ×%.1f**", measured/target)
}

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

// count formats a number with thousands separators.
func count(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func ratio(naive, ours float64) string {
	if ours == 0 {
		return "—"
	}
	return fmt.Sprintf("×%.1f", naive/ours)
}
