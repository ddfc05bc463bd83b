package meshconfig

import (
	"sort"

	"code.cloudfoundry.org/cf-mesh/internal/routingtable"
)

// TotalWeight is what a route's destination weights add up to.
const TotalWeight = 100

// EffectiveWeights returns each destination's share of a route's traffic,
// in percent, summing to TotalWeight.
//
// Cloud Controller's weights are the ratio (a nil weight is an equal share).
// Decision (docs/decisions/0005): destinations without live endpoints get no
// share while another destination has endpoints, as gorouter sends a route's
// traffic only to instances that are up; when no destination has endpoints,
// every destination keeps its share so the route answers 503 rather than
// disappearing. Rounding uses the largest remainder, ties to the earlier
// destination, so the result is exact and deterministic.
func EffectiveWeights(dests []routingtable.Destination) []uint32 {
	shares := make([]uint32, len(dests))
	if len(dests) == 0 {
		return shares
	}
	pool := liveDestinations(dests)
	raw := make([]uint64, len(dests))
	var total uint64
	for _, i := range pool {
		raw[i] = 1
		if w := dests[i].Weight; w != nil && *w > 0 {
			raw[i] = uint64(*w)
		}
		total += raw[i]
	}
	type remainder struct {
		index int
		rest  uint64
	}
	var rests []remainder
	var assigned uint32
	for _, i := range pool {
		shares[i] = uint32(raw[i] * TotalWeight / total)
		assigned += shares[i]
		rests = append(rests, remainder{i, raw[i] * TotalWeight % total})
	}
	sort.SliceStable(rests, func(a, b int) bool { return rests[a].rest > rests[b].rest })
	for k := 0; assigned < TotalWeight; k++ {
		shares[rests[k%len(rests)].index]++
		assigned++
	}
	return shares
}

// liveDestinations returns the indexes of destinations with endpoints, or of
// all destinations when none has any.
func liveDestinations(dests []routingtable.Destination) []int {
	var live, all []int
	for i, d := range dests {
		all = append(all, i)
		if len(d.Endpoints) > 0 {
			live = append(live, i)
		}
	}
	if len(live) == 0 {
		return all
	}
	return live
}
