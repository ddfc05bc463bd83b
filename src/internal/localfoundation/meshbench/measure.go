package meshbench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"code.cloudfoundry.org/cf-mesh/internal/lifecycle"
)

// ChangeStats summarise a series of changes of one kind.
type ChangeStats struct {
	Count, TimedOut int
	// P50, P99 and Max are change → ACK by every subscribed proxy.
	P50, P99, Max time.Duration
	// Proxies is the mean number of subscribed proxies per change.
	Proxies float64
	// Per change, means: MCP response bytes and resources (copilot),
	// xDS response bytes and resources received by all proxies.
	MCPBytes, MCPResources, XDSBytes, XDSResources float64
}

// settle is the pause after a change converged before the next one, so
// late pushes are counted with the change that caused them: the proxies
// must have received nothing for settle (at most maxSettle in all). A
// change that also resends every cluster to every State-of-the-World
// sidecar (a new cluster) pushes for longer than its subscribed proxies
// take to ACK it; the next change must not pay for that.
const (
	settle    = 300 * time.Millisecond
	maxSettle = 15 * time.Second
)

// changeRun measures changes one at a time against one fleet.
type changeRun struct {
	fleet         *fleet
	copilotStatus string
	timeout       time.Duration
	log           func(format string, args ...any)
}

// measure makes n changes, each after the previous one converged (or
// timed out), and summarises them.
func (r changeRun) measure(ctx context.Context, n int, next func(i int) change) (ChangeStats, error) {
	var stats ChangeStats
	var latencies []time.Duration
	for i := range n {
		c := next(i)
		res, err := r.one(ctx, c)
		if err != nil {
			return stats, fmt.Errorf("%s change %d: %w", c.kind, i, err)
		}
		latencies = append(latencies, res.latency)
		stats.Count++
		if res.timedOut {
			stats.TimedOut++
		}
		stats.Proxies += float64(res.expected)
		stats.MCPBytes += res.mcpBytes
		stats.MCPResources += res.mcpResources
		stats.XDSBytes += res.xdsBytes
		stats.XDSResources += res.xdsResources
		r.log("  %d/%d %s %s: %s to %d proxies, %d xDS bytes", i+1, n, c.kind, c.name, res.latency.Round(time.Millisecond), res.expected, int64(res.xdsBytes))
	}
	if stats.Count > 0 {
		k := float64(stats.Count)
		stats.Proxies, stats.MCPBytes, stats.MCPResources = stats.Proxies/k, stats.MCPBytes/k, stats.MCPResources/k
		stats.XDSBytes, stats.XDSResources = stats.XDSBytes/k, stats.XDSResources/k
	}
	stats.P50, stats.P99, stats.Max = percentile(latencies, 0.50), percentile(latencies, 0.99), percentile(latencies, 1)
	return stats, nil
}

type changeResult struct {
	latency                                        time.Duration
	expected                                       int
	timedOut                                       bool
	mcpBytes, mcpResources, xdsBytes, xdsResources float64
}

// one makes a change and waits until every proxy subscribed to the
// resource it changes has ACKed a response showing it.
func (r changeRun) one(ctx context.Context, c change) (changeResult, error) {
	before, err := Scrape(ctx, r.copilotStatus)
	if err != nil {
		return changeResult{}, err
	}
	xdsBytes, xdsResources := r.fleet.bytes.Load(), r.fleet.resources.Load()
	w := r.fleet.expect(c.typeURL, c.name, c.check)
	start := time.Now()
	if err := c.make(); err != nil {
		return changeResult{}, err
	}
	res := changeResult{}
	timer := time.NewTimer(r.timeout)
	select {
	case <-w.done:
	case <-timer.C:
		res.timedOut = true
	case <-ctx.Done():
		timer.Stop()
		return res, ctx.Err()
	}
	timer.Stop()
	last, expected, acked := w.result(start)
	res.latency, res.expected = last, expected
	if acked < expected || expected == 0 {
		res.timedOut, res.latency = true, r.timeout
	}
	r.quiesce(ctx)
	r.fleet.watching.Store(nil)
	after, err := Scrape(ctx, r.copilotStatus)
	if err != nil {
		return res, err
	}
	delta := after.Sub(before)
	res.mcpBytes, res.mcpResources = delta["cfmesh_copilot_mcp_response_bytes_total"], delta["cfmesh_copilot_mcp_resources_sent_total"]
	res.xdsBytes = float64(r.fleet.bytes.Load() - xdsBytes)
	res.xdsResources = float64(r.fleet.resources.Load() - xdsResources)
	return res, nil
}

// percentile is the nearest-rank percentile q (0 < q ≤ 1).
func percentile(values []time.Duration, q float64) time.Duration {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	rank := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// quiesce waits until the proxies have received nothing for settle, or
// maxSettle has passed.
func (r changeRun) quiesce(ctx context.Context) {
	deadline := time.Now().Add(maxSettle)
	for last := r.fleet.bytes.Load(); ctx.Err() == nil; {
		lifecycle.Sleep(ctx, settle)
		now := r.fleet.bytes.Load()
		if now == last || time.Now().After(deadline) {
			return
		}
		last = now
	}
}
