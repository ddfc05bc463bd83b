package meshbench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// bench is one run: the foundation, its stand-ins and the processes.
type bench struct {
	o      Options
	f      *Foundation
	cc     *cloudController
	nats   *server.Server
	em     *emitter
	a      addresses
	l      launcher
	report *Report

	copilot, pilot *process
	changer        *changer
	// changes counts the changes made so far, so each picks a new app.
	changes int
}

// Run seeds a foundation of o.Size, runs the copilot and the pilot against
// it with the fleet of simulated proxies, measures cold start, steady
// re-registration, NATS ingest and convergence of endpoint and weight
// changes, then does the same changes against the naive control plane,
// and returns the report. Everything listens on loopback and stops before
// Run returns; the run is bounded by o's counts and timeouts and by ctx.
func Run(ctx context.Context, o Options) (*Report, error) {
	o = o.WithDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.WorkDir, 0o700); err != nil {
		return nil, err
	}
	b := &bench{o: o, l: launcher{binaries: o.Binaries, workDir: o.WorkDir, copilotMemoryLimit: o.copilotMemoryLimit()},
		report: &Report{Size: o.Size, Options: o, Machine: ReadMachine(runtime.Version(), runtime.NumCPU()), Started: time.Now(), InProcess: o.Binaries == ""}}
	defer b.teardown()
	for _, phase := range []struct {
		name string
		run  func(context.Context) error
	}{
		{"seed", b.setup}, {"cold start", b.coldStart}, {"steady re-registration", b.steady}, {"NATS ingest", b.ingest},
		{"changes", b.ours}, {"naive control plane", b.naive},
	} {
		b.logf("== %s", phase.name)
		if err := phase.run(ctx); err != nil {
			return b.report, fmt.Errorf("%s: %w", phase.name, err)
		}
	}
	b.report.Took = time.Since(b.report.Started)
	return b.report, nil
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.o.Log, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

// setup lays out the foundation, seeds Cloud Controller, starts NATS and
// the route-emitters (which emit before any copilot listens, as on a
// running foundation) and picks addresses.
func (b *bench) setup(ctx context.Context) error {
	start := time.Now()
	b.f = NewFoundation(b.o.Size)
	var err error
	if b.cc, err = seedCloudController(b.f); err != nil {
		return err
	}
	payloads, err := b.f.Payloads()
	if err != nil {
		return err
	}
	if b.nats, err = startNATS(); err != nil {
		return err
	}
	if b.em, err = newEmitter(b.nats.ClientURL(), payloads, b.o.RegisterInterval); err != nil {
		return err
	}
	go func() { _ = b.em.run(context.WithoutCancel(ctx)) }()
	b.changer = newChanger(b.f, b.em, b.cc)
	id, secret := b.cc.cc.ClientCredentials()
	b.a = addresses{ccURL: b.cc.url, ccClientID: id, ccSecret: secret, nats: b.nats.ClientURL()}
	if err := b.a.allocate(b.o.WorkDir); err != nil {
		return err
	}
	b.report.Seed = time.Since(start)
	b.logf("%d routes, %d apps, %d endpoints, %d proxies; seeded in %s", len(b.f.Routes), len(b.f.Apps), len(payloads),
		b.o.Size.Proxies(), b.report.Seed.Round(time.Millisecond))
	return nil
}

func (b *bench) teardown() {
	for _, p := range []*process{b.pilot, b.copilot} {
		if p != nil {
			if err := p.stop(); err != nil {
				b.logf("stopping %s: %v", p.name, err)
			}
		}
	}
	if b.em != nil {
		b.em.nc.Close()
	}
	if b.nats != nil {
		b.nats.Shutdown()
	}
	if b.cc != nil {
		b.cc.close()
	}
}

// timeout bounds one wait of a phase.
func (b *bench) timeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, b.o.StartTimeout)
}

// stopProcess stops p, reading its peak memory first.
func (b *bench) stopProcess(p *process, into *ProcessStats) error {
	u := p.usage()
	into.PeakRSS, into.CPU = u.PeakRSS, u.CPU
	return p.stop()
}

// next returns the i-th change of a kind, numbered across the whole run.
func (b *bench) next(make func(int) change) func(int) change {
	return func(int) change {
		b.changes++
		return make(b.changes)
	}
}
