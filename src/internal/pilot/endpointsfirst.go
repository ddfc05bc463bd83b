package pilot

import (
	"context"
	"time"
)

// runEndpointsFirst sends the changed endpoints of every config the
// copilot delivers as it arrives, beside the debounced full translation
// (ADR 20).
func (p *Pilot) runEndpointsFirst(ctx context.Context) error {
	var done uint64
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-p.endpointsDue:
		}
		if cfg, generation := p.latestConfig(); cfg != nil && generation != done {
			_, endpointsOnly := p.translator.sendEndpointsFirst(*cfg, generation)
			done = generation
			p.mu.Lock()
			p.endpointsSent, p.endpointsOnly = generation, endpointsOnly
			p.endpointsDone.Broadcast()
			p.mu.Unlock()
		}
	}
}

// endpointsFirstWait bounds how long a full translation waits for the
// endpoints-first loop to handle its config.
const endpointsFirstWait = 200 * time.Millisecond

// endpointsOnlyDeferral is how long a full translation waits at most
// while every config since the last one changed only instances (endpoints,
// or per-instance hosts that came or went) that the endpoints-first loop
// has sent (ADR 20, second and third amendments).
const endpointsOnlyDeferral = 2 * time.Second

// awaitEndpointsFirst waits until the endpoints-first loop has handled
// generation, so that the full translation of the same config, which
// gives way to what the loop sent (giveWay), does not run before it (ADR
// 20). It gives up after endpointsFirstWait.
func (p *Pilot) awaitEndpointsFirst(generation uint64) {
	timer := time.AfterFunc(endpointsFirstWait, p.wakeTranslator)
	defer timer.Stop()
	deadline := time.Now().Add(endpointsFirstWait)
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.endpointsSent < generation && time.Now().Before(deadline) {
		p.endpointsDone.Wait()
	}
}

// awaitEndpointsOnly holds the full translation back while the newest
// config changed only endpoints since the last full translation, all of
// them sent by the endpoints-first loop, for at most deferral: a stream of
// instances starting and stopping then costs one full translation per
// deferral, not one per instance, and the proxies are not kept waiting by
// translations that would send them nothing. It reports whether it waited,
// and whether the translation is due now: not when ctx ended, nor when a
// config that changes more than endpoints (or one not judged yet) ended
// the wait, since that config's own debounced run follows once it has
// fully arrived.
func (p *Pilot) awaitEndpointsOnly(ctx context.Context, deferral time.Duration) (waited, due bool) {
	timer := time.AfterFunc(deferral, p.wakeTranslator)
	defer timer.Stop()
	defer context.AfterFunc(ctx, p.wakeTranslator)()
	deadline := time.Now().Add(deferral)
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.endpointsSent == p.generation && p.endpointsOnly && ctx.Err() == nil && time.Now().Before(deadline) {
		waited = true
		p.endpointsDone.Wait()
	}
	switch {
	case ctx.Err() != nil:
		return waited, false
	case waited && time.Now().Before(deadline):
		return true, false
	}
	return waited, true
}

// wakeTranslator wakes the translation loop's waits to look again.
func (p *Pilot) wakeTranslator() {
	p.mu.Lock()
	p.endpointsDone.Broadcast()
	p.mu.Unlock()
}

// runTranslator translates the newest config each time the debouncer
// fires, once per generation. A translation held back for configs that
// changed only endpoints runs at most endpointsOnlyDeferral after the
// hold began, however often the hold is ended and taken up again.
func (p *Pilot) runTranslator(ctx context.Context) error {
	var translated uint64
	var holding time.Time // when the next translation was first held back
	held := false
	p.debouncer.Run(ctx, func() {
		_, generation := p.latestConfig()
		if generation == translated {
			return
		}
		p.awaitEndpointsFirst(generation)
		if holding.IsZero() {
			holding = time.Now()
		}
		waited, due := p.awaitEndpointsOnly(ctx, endpointsOnlyDeferral-time.Since(holding))
		held = held || waited
		if !due {
			return
		}
		cfg, generation := p.latestConfig()
		if held {
			p.awaitEndpointsFirst(generation)
			p.translator.deferred.Inc()
		}
		p.translator.translate(*cfg, generation)
		translated, holding, held = generation, time.Time{}, false
	})
	return nil
}
