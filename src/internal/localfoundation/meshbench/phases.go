package meshbench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
)

// coldStart starts the copilot and the pilot at once, with the whole
// fleet connecting, and times copilot ready (first Cloud Controller sync
// and the NATS initial sync), pilot ready, the first gateway and every
// proxy holding its whole configuration.
func (b *bench) coldStart(ctx context.Context) error {
	start := time.Now()
	var err error
	if b.copilot, err = b.l.copilot(copilotConfig(b.a, b.o)); err != nil {
		return err
	}
	if b.pilot, err = b.l.pilot(pilotConfig(b.a, b.o)); err != nil {
		return err
	}
	fl := newFleet(b.f, b.o.Size, fleetTargets{controlPlane: b.a.xds, containers: b.a.containers}, b.o.Log)
	b.report.fleet = fl
	fl.start()
	ctx, cancel := b.timeout(ctx)
	defer cancel()
	if err := b.copilotReady(ctx, start); err != nil {
		return err
	}
	cs := &b.report.ColdStart
	if err := b.pilot.waitReady(ctx); err != nil {
		return err
	}
	cs.PilotReady = time.Since(start)
	if err := fl.waitComplete(ctx); err != nil {
		return err
	}
	cs.AllProxies = time.Since(start)
	cs.FirstGateway = fl.proxies[0].completedAt().Sub(start)
	b.logf("copilot ready %s (NATS initial sync %s), pilot ready %s, first gateway %s, all %d proxies %s", cs.CopilotReady.Round(time.Millisecond),
		cs.NATSInitialSync.Round(time.Millisecond), cs.PilotReady.Round(time.Millisecond), cs.FirstGateway.Round(time.Millisecond),
		len(fl.proxies), cs.AllProxies.Round(time.Millisecond))
	return b.heapsAfterColdStart(ctx)
}

// heapsAfterColdStart records the pilot's heap with the whole fleet, and
// keeps both processes' heap profiles in the work directory.
func (b *bench) heapsAfterColdStart(ctx context.Context) error {
	profile := filepath.Join(b.o.WorkDir, "pilot-heap-with-proxies.pb.gz")
	heap, err := forcedHeap(ctx, b.pilot.status, profile)
	if err != nil {
		return err
	}
	b.logf("pilot heap with the fleet: %.1f MiB (profile: go tool pprof -sample_index=inuse_space %s)", heap/(1<<20), profile)
	b.report.Ours.HeapWithProxies = heap
	b.report.Ours.RSSWithProxies = b.pilot.usage().RSS
	profile = filepath.Join(b.o.WorkDir, "copilot-heap.pb.gz")
	if heap, err = forcedHeap(ctx, b.copilot.status, profile); err != nil {
		return err
	}
	b.logf("copilot heap: %.1f MiB (profile: %s)", heap/(1<<20), profile)
	return nil
}

// copilotReady waits for the copilot, then records when it was ready and
// how long its NATS initial sync took, as the copilot measured it (from
// its NATS connect until route-emitters had re-emitted).
func (b *bench) copilotReady(ctx context.Context, start time.Time) error {
	if err := b.copilot.waitReady(ctx); err != nil {
		return err
	}
	cs := &b.report.ColdStart
	cs.CopilotReady = time.Since(start)
	m, err := Scrape(ctx, b.copilot.status)
	if err != nil {
		return err
	}
	seconds := m["cfmesh_copilot_nats_initial_sync_seconds"]
	if seconds <= 0 {
		return fmt.Errorf("copilot at %s is ready but reports no NATS initial sync", b.copilot.status)
	}
	cs.NATSInitialSync = time.Duration(seconds * float64(time.Second))
	return nil
}

// forcedHeap collects garbage in a process (its profiler's heap endpoint
// does) and returns its Go heap in use; the heap profile goes to profile
// unless that is empty. It collects twice: what sync.Pools hold (gRPC's
// send buffers) survives one collection as the pools' victims, and is
// free memory, not what the process keeps.
func forcedHeap(ctx context.Context, status, profile string) (float64, error) {
	var body []byte
	for range 2 {
		b, code, err := get(ctx, "http://"+status+"/debug/pprof/heap?gc=1")
		if err != nil || code != http.StatusOK {
			return 0, fmt.Errorf("forcing a GC at %s: status %d, %v", status, code, err)
		}
		body = b
	}
	if profile != "" {
		if err := os.WriteFile(profile, body, 0o644); err != nil {
			return 0, err
		}
	}
	m, err := Scrape(ctx, status)
	if err != nil {
		return 0, err
	}
	return m["go_memstats_heap_inuse_bytes"], nil
}

// steady watches re-registration alone for o.Steady: what it costs each
// process and that it sends nothing downstream.
func (b *bench) steady(ctx context.Context) error {
	fl := b.report.fleet
	copilotBefore, pilotBefore, harnessBefore := b.copilot.usage(), b.pilot.usage(), mustUsage(0)
	cm, err := Scrape(ctx, b.copilot.status)
	if err != nil {
		return err
	}
	pm, err := Scrape(ctx, b.pilot.status)
	if err != nil {
		return err
	}
	bytes, sent := fl.bytes.Load(), b.em.sent.Load()
	start := time.Now()
	lifecycle.Sleep(ctx, b.o.Steady)
	window := time.Since(start)
	cm2, err := Scrape(ctx, b.copilot.status)
	if err != nil {
		return err
	}
	pm2, err := Scrape(ctx, b.pilot.status)
	if err != nil {
		return err
	}
	cd, pd := cm2.Sub(cm), pm2.Sub(pm)
	s := &b.report.Steady
	s.Window = window
	s.CopilotCores = cores(b.copilot.usage().CPU-copilotBefore.CPU, window)
	s.PilotCores = cores(b.pilot.usage().CPU-pilotBefore.CPU, window)
	s.HarnessCores = cores(mustUsage(0).CPU-harnessBefore.CPU, window)
	s.Published = float64(b.em.sent.Load()-sent) / window.Seconds()
	s.Ingested = cd["cfmesh_copilot_nats_messages_total"] / window.Seconds()
	s.Builds, s.MCPBytes = cd["cfmesh_copilot_build_duration_seconds_count"], cd["cfmesh_copilot_mcp_response_bytes_total"]
	s.XDSPushes, s.XDSBytes = pd["cfmesh_pilot_xds_pushes_total"], float64(fl.bytes.Load()-bytes)
	b.logf("steady %s: copilot %.3f cores, pilot %.3f cores, %.0f msgs/s, %.0f builds, %.0f MCP bytes, %.0f xDS bytes",
		window.Round(time.Second), s.CopilotCores, s.PilotCores, s.Ingested, s.Builds, s.MCPBytes, s.XDSBytes)
	return nil
}

func cores(cpu, window time.Duration) float64 { return cpu.Seconds() / window.Seconds() }

func mustUsage(pid int) Usage {
	u, _ := ReadUsage(pid)
	return u
}

// ingest publishes every registration at once (periodic re-emits paused)
// and times the copilot taking them all.
func (b *bench) ingest(ctx context.Context) error {
	b.em.pause(true)
	defer b.em.pause(false)
	lifecycle.Sleep(ctx, 500*time.Millisecond) // let what is in flight arrive
	before, err := Scrape(ctx, b.copilot.status)
	if err != nil {
		return err
	}
	start, cpu := time.Now(), b.copilot.usage().CPU
	n, publish := b.em.burst()
	want := before["cfmesh_copilot_nats_messages_total"] + float64(n)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	got := before["cfmesh_copilot_nats_messages_total"]
	for got < want && ctx.Err() == nil {
		lifecycle.Sleep(ctx, 50*time.Millisecond)
		if m, err := Scrape(ctx, b.copilot.status); err == nil {
			got = m["cfmesh_copilot_nats_messages_total"]
		}
	}
	took := time.Since(start)
	in := &b.report.Ingest
	in.Messages, in.Publish, in.Took = n, publish, took
	in.Rate = (got - before["cfmesh_copilot_nats_messages_total"]) / took.Seconds()
	in.Missing = int(want - got)
	in.CopilotCPU = b.copilot.usage().CPU - cpu
	b.logf("ingest: %d messages published in %s, taken in %s: %.0f msgs/s, %d missing", n, publish.Round(time.Millisecond),
		took.Round(time.Millisecond), in.Rate, in.Missing)
	return nil
}

// ours measures endpoint and weight changes against the pilot, then the
// pilot's heap once the fleet has gone, and stops the pilot.
func (b *bench) ours(ctx context.Context) error {
	fl := b.report.fleet
	run := changeRun{fleet: fl, copilotStatus: b.copilot.status, timeout: b.o.ChangeTimeout, log: b.logf}
	before := []Usage{b.copilot.usage(), b.pilot.usage()}
	var err error
	if b.report.Ours.Endpoint, err = run.measure(ctx, b.o.EndpointChanges, b.next(b.changer.endpoint)); err != nil {
		return err
	}
	if b.report.Ours.Weight, err = run.measure(ctx, b.o.WeightChanges, b.next(b.changer.weight)); err != nil {
		return err
	}
	b.report.Ours.CopilotCPU = b.copilot.usage().CPU - before[0].CPU
	b.report.Ours.ControlPlaneCPU = b.pilot.usage().CPU - before[1].CPU
	fl.stop()
	lifecycle.Sleep(ctx, 2*time.Second)
	if b.report.Ours.HeapWithoutProxies, err = forcedHeap(ctx, b.pilot.status, ""); err != nil {
		return err
	}
	b.report.Ours.Proxies = len(fl.proxies)
	err = b.stopProcess(b.pilot, &b.report.Pilot)
	b.pilot = nil
	return err
}

// naive runs the same kinds of change against the naive control plane,
// with a new fleet of the same proxies.
func (b *bench) naive(ctx context.Context) error {
	if b.o.NaiveEndpointChanges+b.o.NaiveWeightChanges == 0 {
		return b.stopCopilot()
	}
	start := time.Now()
	naive, err := b.l.naive(naiveConfig(b.a, b.o))
	if err != nil {
		return err
	}
	defer func() {
		if naive != nil {
			_ = naive.stop()
		}
	}()
	fl := newFleet(b.f, b.o.Size, fleetTargets{controlPlane: b.a.naiveXDS, containers: b.a.naiveXDS}, b.o.Log)
	fl.start()
	defer fl.stop()
	wctx, cancel := b.timeout(ctx)
	defer cancel()
	if err := fl.waitComplete(wctx); err != nil {
		return err
	}
	b.report.Naive.ColdStart = time.Since(start)
	b.logf("naive: all %d proxies hold their configuration after %s", len(fl.proxies), b.report.Naive.ColdStart.Round(time.Millisecond))
	run := changeRun{fleet: fl, copilotStatus: b.copilot.status, timeout: b.o.ChangeTimeout, log: b.logf}
	cpu := naive.usage().CPU
	if b.report.Naive.Endpoint, err = run.measure(ctx, b.o.NaiveEndpointChanges, b.next(b.changer.endpoint)); err != nil {
		return err
	}
	if b.report.Naive.Weight, err = run.measure(ctx, b.o.NaiveWeightChanges, b.next(b.changer.weight)); err != nil {
		return err
	}
	b.report.Naive.ControlPlaneCPU = naive.usage().CPU - cpu
	b.report.Naive.Proxies = len(fl.proxies)
	fl.stop()
	err = b.stopProcess(naive, &b.report.NaivePlane)
	naive = nil
	if err != nil {
		return err
	}
	return b.stopCopilot()
}

func (b *bench) stopCopilot() error {
	err := b.stopProcess(b.copilot, &b.report.Copilot)
	b.copilot = nil
	return err
}
